// The whoami demo (examples/whoami) in process: what it echoes of the Remote-* headers is escaped,
// it answers JSON on request, and its settings are checked before it listens.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildWhoami } from '../../../examples/whoami/src/app.ts';
import { whoamiConfig } from '../../../examples/whoami/src/config.ts';
import { escapeHtml, logoutUrl, visitorFrom } from '../../../examples/whoami/src/page.ts';

const ATTACK = `<script>alert("x")</script><img src=x onerror='y'>&amp;`;

describe('the whoami page', () => {
  const app = buildWhoami({ appName: 'Demo <b>app</b>', loginHost: 'twofold.localhost' });

  test('escapes every header it echoes, and its own name', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/any/page?q=<i>',
      headers: {
        host: 'app1.twofold.localhost:8080',
        'remote-user': ATTACK,
        'remote-email': '"><svg onload=alert(1)>',
        'remote-name': "O'Brien & <Sons>",
        'remote-groups': 'staff,<u>admins</u>',
      },
    });
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^text\/html; charset=utf-8/);
    const page = response.body;
    assert.doesNotMatch(page, /<script>|<img|<svg|<u>|<b>app|<i>/, 'no markup from a header gets through');
    assert.ok(page.includes(escapeHtml(ATTACK)));
    assert.ok(page.includes('&quot;&gt;&lt;svg onload=alert(1)&gt;'));
    assert.ok(page.includes('O&#39;Brien &amp; &lt;Sons&gt;'));
    assert.ok(page.includes('staff, &lt;u&gt;admins&lt;/u&gt;'));
    assert.ok(page.includes('<title>Demo &lt;b&gt;app&lt;/b&gt;</title>'));
    assert.ok(page.includes('<a href="//twofold.localhost:8080/">Log out</a>'), 'logout on the login page');
    assert.equal(response.headers['cache-control'], 'no-store');
    assert.equal(response.headers['x-content-type-options'], 'nosniff');
    assert.match(String(response.headers['content-security-policy']), /default-src 'none'/);
  });

  test('a host header cannot break out of the logout link', async () => {
    const response = await app.inject({ url: '/', headers: { host: 'app1.twofold.localhost:80"><x a="' } });
    assert.ok(response.body.includes('<a href="//twofold.localhost/">Log out</a>'));
    assert.doesNotMatch(response.body, /<x a=/);
  });

  test('says what was not sent', async () => {
    const response = await app.inject({ url: '/' });
    assert.equal(response.body.match(/\(not sent\)/g)?.length, 4);
  });

  test('answers JSON when asked for it', async () => {
    const response = await app.inject({
      url: '/x',
      headers: {
        accept: 'application/json',
        host: 'app2.twofold.localhost:8081',
        'remote-user': 'alice',
        'remote-email': 'alice@example.com',
        'remote-name': 'Alice',
        'remote-groups': 'staff, users',
      },
    });
    assert.match(String(response.headers['content-type']), /^application\/json/);
    assert.deepEqual(response.json(), {
      app: 'Demo <b>app</b>',
      host: 'app2.twofold.localhost:8081',
      path: '/x',
      user: 'alice',
      email: 'alice@example.com',
      name: 'Alice',
      groups: ['staff', 'users'],
      logoutUrl: '//twofold.localhost:8081/',
    });
  });

  test('GET /healthz for the supervisor', async () => {
    const response = await app.inject({ url: '/healthz' });
    assert.deepEqual([response.statusCode, response.json()], [200, { status: 'ok' }]);
  });

  test('the logout link: the login URL when given, else the login host on the port the browser used', () => {
    assert.equal(
      logoutUrl({ loginUrl: 'https://login.example.com/' }, 'app1.example.com'),
      'https://login.example.com/',
    );
    assert.equal(
      logoutUrl({ loginHost: 'twofold.localhost' }, 'app1.twofold.localhost'),
      '//twofold.localhost/',
    );
    assert.equal(logoutUrl({}, 'app1.twofold.localhost:8080'), undefined);
  });

  test('repeated headers are shown together, not the first one alone', () => {
    assert.equal(visitorFrom({ 'remote-user': 'a' }).user, 'a');
    assert.deepEqual(visitorFrom({ 'remote-groups': ' a, ,b ' }).groups, ['a', 'b']);
  });
});

describe('whoamiConfig', () => {
  test('needs a port, names the variable at fault', () => {
    assert.throws(() => whoamiConfig({}), /WHOAMI_PORT/);
    assert.throws(() => whoamiConfig({ WHOAMI_PORT: '70000' }), /WHOAMI_PORT/);
    assert.throws(() => whoamiConfig({ WHOAMI_PORT: '80a' }), /WHOAMI_PORT/);
    assert.deepEqual(whoamiConfig({ WHOAMI_PORT: '8127' }), { port: 8127, appName: 'whoami' });
  });

  test('a login URL must be http(s), a login host a host name', () => {
    assert.throws(
      () => whoamiConfig({ WHOAMI_PORT: '1', WHOAMI_LOGIN_URL: 'javascript:alert(1)' }),
      /WHOAMI_LOGIN_URL/,
    );
    assert.throws(() => whoamiConfig({ WHOAMI_PORT: '1', WHOAMI_LOGIN_URL: 'nope' }), /WHOAMI_LOGIN_URL/);
    assert.throws(() => whoamiConfig({ WHOAMI_PORT: '1', WHOAMI_LOGIN_HOST: 'a"b' }), /WHOAMI_LOGIN_HOST/);
    assert.deepEqual(
      whoamiConfig({
        WHOAMI_PORT: '1',
        WHOAMI_APP_NAME: ' Demo ',
        WHOAMI_LOGIN_URL: 'https://login.example.com',
        WHOAMI_LOGIN_HOST: 'Twofold.Localhost',
      }),
      { port: 1, appName: 'Demo', loginUrl: 'https://login.example.com/', loginHost: 'twofold.localhost' },
    );
  });
});
