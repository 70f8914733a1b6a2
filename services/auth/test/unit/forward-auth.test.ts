import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ForwardedRequest, loginLocation, originalUrl } from '../../src/lib/forward-auth.ts';

const request = (overrides: Partial<ForwardedRequest> = {}): ForwardedRequest => ({
  proto: 'http',
  host: 'app1.twofold.localhost',
  port: '8080',
  uri: '/reports?year=2026',
  ...overrides,
});
const none = { cookieDomain: null, loginUrl: null };
const sso = { cookieDomain: 'twofold.localhost', loginUrl: null };
const rd = (url: string) => `?rd=${encodeURIComponent(url)}`;

describe('the Location of /auth/verify 401', () => {
  it('takes X-Original-URL when it is an absolute http(s) URL, else builds it from the forwarded parts', () => {
    assert.equal(originalUrl(request()), 'http://app1.twofold.localhost:8080/reports?year=2026');
    assert.equal(originalUrl(request({ originalUrl: 'https://x.example/a?b' })), 'https://x.example/a?b');
    for (const bad of ['/relative', 'javascript:alert(1)', '//x.example/', 'http://\\x']) {
      assert.equal(
        originalUrl(request({ originalUrl: bad })),
        'http://app1.twofold.localhost:8080/reports?year=2026',
      );
    }
    assert.equal(
      originalUrl(request({ port: undefined, uri: 'no-slash' })),
      'http://app1.twofold.localhost/',
    );
    assert.equal(originalUrl(request({ uri: `/${'a'.repeat(3_000)}` })), undefined, 'too long: no rd at all');
    assert.equal(originalUrl(request({ uri: '/a b' })), undefined, 'not a URL a browser sends');
  });

  it('points at the host the browser asked for when no cookie domain or login URL is set', () => {
    const location = loginLocation(none, request());
    assert.equal(
      location,
      `http://app1.twofold.localhost:8080/login${rd('http://app1.twofold.localhost:8080/reports?year=2026')}`,
    );
    assert.equal(
      new URL(location).searchParams.get('rd'),
      'http://app1.twofold.localhost:8080/reports?year=2026',
    );
  });

  it('points at the cookie domain on the same port for a host within it, else at the host', () => {
    assert.match(
      loginLocation(sso, request()),
      /^http:\/\/twofold\.localhost:8080\/login\?rd=http%3A%2F%2Fapp1/,
    );
    assert.match(loginLocation(sso, request({ port: '8081' })), /^http:\/\/twofold\.localhost:8081\/login\?/);
    assert.match(
      loginLocation(sso, request({ port: undefined, proto: 'https' })),
      /^https:\/\/twofold\.localhost\/login\?/,
    );
    assert.match(loginLocation(sso, request({ host: '127.0.0.1' })), /^http:\/\/127\.0\.0\.1:8080\/login\?/);
  });

  it('takes TWOFOLD_LOGIN_URL as it is when set', () => {
    const config = { cookieDomain: 'twofold.localhost', loginUrl: 'https://login.example/login' };
    assert.equal(
      loginLocation(config, request()),
      `https://login.example/login${rd('http://app1.twofold.localhost:8080/reports?year=2026')}`,
    );
    assert.equal(loginLocation(config, request({ uri: '/a b' })), 'https://login.example/login');
  });

  it('encodes every character of rd that could end or extend the query', () => {
    const location = loginLocation(none, request({ uri: '/x?a=1&b=2#frag%0d%0a' }));
    assert.equal(location.split('?').length, 2);
    assert.doesNotMatch(location.split('?rd=')[1] as string, /[&#?/:]/);
  });
});
