import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRedirectTarget } from '../../src/lib/redirect-target.ts';

const REGISTERED = new Set(['app1.twofold.localhost', 'app2.twofold.localhost']);

/** What GET /api/v1/session/redirect decides: the URL to go to, or undefined (400 redirect_not_allowed). */
function decide(rd: string): string | undefined {
  const target = parseRedirectTarget(rd);
  return target && REGISTERED.has(target.host) ? target.url : undefined;
}

describe('redirect targets after a login (rd)', () => {
  it('follows an http(s) URL on a registered application host, whatever its port, path and query', () => {
    const cases: Array<[string, string]> = [
      ['http://app1.twofold.localhost/', 'http://app1.twofold.localhost/'],
      ['http://app1.twofold.localhost', 'http://app1.twofold.localhost/'],
      [
        'https://app2.twofold.localhost:8443/a/b?c=d&e=%C3%A9#top',
        'https://app2.twofold.localhost:8443/a/b?c=d&e=%C3%A9#top',
      ],
      ['HTTP://APP1.Twofold.Localhost:8080/Reports', 'http://app1.twofold.localhost:8080/Reports'],
      [
        'http://app1.twofold.localhost/next?to=https://evil.example/',
        'http://app1.twofold.localhost/next?to=https://evil.example/',
      ],
      ['http://app1.twofold.localhost/user@host', 'http://app1.twofold.localhost/user@host'],
    ];
    for (const [rd, expected] of cases) assert.equal(decide(rd), expected, rd);
  });

  it('never follows an open-redirect attempt', () => {
    const attempts = [
      '//evil.com',
      '//app1.twofold.localhost/',
      '/\\evil.com',
      'https://evil.com',
      'https://evil.com/http://app1.twofold.localhost/',
      'http://app1.twofold.localhost.evil.com/',
      'http://app1.twofold.localhost./',
      'http://evil-app1.twofold.localhost/',
      'http://twofold.localhost/',
      'http://evil.com\\@app1.twofold.localhost/',
      'http://app1.twofold.localhost\\@evil.com/',
      'http://app1.twofold.localhost\\.evil.com/',
      'http:\\\\evil.com',
      'http:/app1.twofold.localhost/',
      'http:app1.twofold.localhost',
      'javascript:alert(1)',
      'javascript://app1.twofold.localhost/%0aalert(1)',
      'JaVaScRiPt:alert(document.domain)',
      'data:text/html,<script>alert(1)</script>',
      'vbscript:msgbox(1)',
      'ftp://app1.twofold.localhost/',
      'ws://app1.twofold.localhost/',
      'http://user:pw@app1.twofold.localhost/',
      'http://user@app1.twofold.localhost/',
      'http://app1.twofold.localhost@evil.com/',
      'http://app1.twofold.localhost:80@evil.com/',
      'http://app1.twofold.localhost%2eevil.com/',
      'http://app1.twofold.localhost%00.evil.com/',
      'http://app1.twofold.localhost\u3002evil.com/',
      'http://app1.twofold.localhost\uff0eevil.com/',
      'http://\u0430pp1.twofold.localhost/',
      'http://app1.twofold.localhost/\u202eexe.evil',
      'http://ａｐｐ1.twofold.localhost/',
      'http://xn--pp1-8cd.twofold.localhost/',
      'http://0x7f.0.0.1/',
      'http://[::1]/',
      'http://app1.twofold.localhost:99999/',
      ' http://app1.twofold.localhost/',
      'http://app1.twofold.localhost/ ',
      'http://app1.twofold.localhost/\r\nSet-Cookie: x=1',
      'ht\ttp://app1.twofold.localhost/',
      'http://app1.twofold.localhost/\tx',
      `http://app1.twofold.localhost/${'a'.repeat(2_100)}`,
      '',
      'app1.twofold.localhost',
      '<script>alert(1)</script>',
      "'; DROP TABLE applications; --",
    ];
    for (const rd of attempts) assert.equal(decide(rd), undefined, JSON.stringify(rd));
  });

  it('reports the host in lower case without its port, for the lookup of the application', () => {
    assert.deepEqual(parseRedirectTarget('https://Grafana.Example:3000/d/x'), {
      url: 'https://grafana.example:3000/d/x',
      host: 'grafana.example',
    });
  });
});
