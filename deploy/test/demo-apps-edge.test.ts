// The demo applications app1./app2. behind forward auth, on a real nginx in front of a stand-in
// auth replica and a stand-in application (issue 10): Remote-* from the verdict, never the client's;
// the verdict asked for the server's own name; Twofold's session cookie kept from the application.
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { describe, test } from 'node:test';
import { COOKIE_DOMAIN, edgeInFront, send } from './support/edge.ts';

describe('forward auth in front of the demo applications app1. and app2. (issue 10)', () => {
  /** What the stand-in replica answers /auth/verify with next, and what it was asked. */
  let verdict: { status: number; headers?: Record<string, string> } = { status: 401 };
  const verifications: Array<{ method?: string; headers: IncomingHttpHeaders; bodyBytes: number }> = [];
  /** What reached the stand-in application: every header as sent, in order. */
  const reachedApp: Array<{ method?: string; url?: string; rawHeaders: string[] }> = [];
  const edge = edgeInFront(
    (request, response) => {
      let bodyBytes = 0;
      request.on('data', (chunk: Buffer) => {
        bodyBytes += chunk.length;
      });
      request.on('end', () => {
        if (request.url === '/auth/verify')
          verifications.push({ method: request.method, headers: request.headers, bodyBytes });
        response.writeHead(request.url === '/auth/verify' ? verdict.status : 200, verdict.headers ?? {});
        response.end();
      });
    },
    {
      demoApp: (request, response) => {
        reachedApp.push({ method: request.method, url: request.url, rawHeaders: request.rawHeaders });
        request.resume();
        response.setHeader('content-type', 'text/plain');
        response.end('the application\n');
      },
    },
  );
  const app1 = () => `app1.${COOKIE_DOMAIN}:${edge.port}`;
  const fresh = () => {
    verifications.length = 0;
    reachedApp.length = 0;
  };
  /** Every value the application got for `name`, whatever its case. */
  const valuesAt = (rawHeaders: string[], name: string) =>
    rawHeaders.flatMap((value, i) =>
      i % 2 === 1 && rawHeaders[i - 1]?.toLowerCase() === name.toLowerCase() ? [value] : [],
    );

  test('a stranger is sent to the login page the replica named; the verdict is asked with the original URL', async () => {
    fresh();
    const login = `http://${COOKIE_DOMAIN}:${edge.port}/login?rd=${encodeURIComponent(`http://${app1()}/reports?year=2026`)}`;
    verdict = { status: 401, headers: { location: login } };
    const answer = await send(edge.port, app1(), '/reports?year=2026', {
      headers: { cookie: 'twofold_session=abc', 'x-request-id': 'spoofed' },
    });
    assert.equal(answer.status, 302);
    assert.equal(answer.headers.location, login);
    assert.equal(answer.headers['cache-control'], 'no-store');
    assert.equal(reachedApp.length, 0, 'the application is never reached');
    const [asked] = verifications;
    assert.ok(asked);
    assert.equal(asked.method, 'GET');
    assert.equal(asked.headers['x-forwarded-host'], app1());
    assert.equal(asked.headers['x-original-url'], `http://${app1()}/reports?year=2026`);
    assert.equal(asked.headers['x-forwarded-proto'], 'http');
    assert.equal(asked.headers['x-forwarded-for'], '127.0.0.1');
    assert.match(String(asked.headers['x-request-id']), /^[0-9a-f]{32}$/);
    assert.equal(asked.headers.cookie, 'twofold_session=abc', 'the session cookie is what is checked');
  });

  test("the verdict is asked for this server's own name, whatever Host or request line the client wrote", async () => {
    // The attack: nginx picks app1's block for these, but a Host the replica cannot parse fell back
    // to the default rule (any user), and an absolute request line let Host name another application.
    const spellings: Array<[string, string]> = [
      [`APP1.${COOKIE_DOMAIN}.:${edge.port}`, '/'],
      [`app1.${COOKIE_DOMAIN}:99999`, '/'],
      [`light.${COOKIE_DOMAIN}:${edge.port}`, `http://app1.${COOKIE_DOMAIN}:${edge.port}/`],
    ];
    for (const [host, route] of spellings) {
      fresh();
      verdict = { status: 401 };
      await send(edge.port, host, route, { headers: { 'x-forwarded-host': 'light.example' } });
      const [asked] = verifications;
      const port = host.endsWith(':99999') ? '99999' : String(edge.port);
      assert.equal(asked?.headers['x-forwarded-host'], `app1.${COOKIE_DOMAIN}:${port}`, `${host} ${route}`);
      assert.match(String(asked?.headers['x-original-url']), new RegExp(`^http://app1\\.${COOKIE_DOMAIN}:`));
    }
    // The load balancer's own (default) server: its protected pages are judged as its own.
    fresh();
    await send(edge.port, `app1.${COOKIE_DOMAIN}.evil:${edge.port}`, '/protected/page', {
      headers: { 'x-forwarded-host': `app1.${COOKIE_DOMAIN}`, 'x-original-url': 'http://evil.example/' },
    });
    const [own] = verifications;
    assert.equal(own?.headers['x-forwarded-host'], `127.0.0.1:${edge.port}`);
    assert.equal(own?.headers['x-original-url'], undefined);
  });

  test("the application gets every cookie but Twofold's session; the verdict is asked with all of them", async () => {
    fresh();
    verdict = { status: 200, headers: { 'remote-user': 'alice' } };
    const cookie = 'theme=dark; twofold_sid=s%3Adomain.sig; cart=42; twofold_sid=s%3Ahost.sig';
    assert.equal((await send(edge.port, app1(), '/', { headers: { cookie } })).status, 200);
    assert.equal(verifications[0]?.headers.cookie, cookie);
    const seen = valuesAt(reachedApp[0]?.rawHeaders ?? [], 'cookie').join('; ');
    assert.doesNotMatch(seen, /twofold_sid/);
    assert.match(seen, /theme=dark/);
    assert.match(seen, /cart=42/);
    fresh();
    await send(edge.port, app1(), '/', { headers: { cookie: 'twofold_sid=s%3Aonly' } });
    assert.deepEqual(valuesAt(reachedApp[0]?.rawHeaders ?? [], 'cookie'), [], 'no Cookie header left');
  });

  test('a 401 without a Location stays a 401 (never a redirect to nowhere)', async () => {
    verdict = { status: 401 };
    const answer = await send(edge.port, app1(), '/');
    assert.equal(answer.status, 401);
    assert.equal(answer.headers.location, undefined);
  });

  test('a vouched-for user reaches the application with the Remote-* headers of the verdict, never forged ones', async () => {
    fresh();
    verdict = {
      status: 200,
      headers: {
        'remote-user': 'alice',
        'remote-email': 'alice@example.com',
        'remote-name': 'Alice Liddell',
        'remote-groups': 'staff,users',
      },
    };
    const forged = {
      'Remote-User': 'admin',
      'remote-email': ['root@example.com', 'more@example.com'],
      'REMOTE-NAME': 'Administrator',
      'Remote-Groups': 'admins',
      remote_user: 'admin',
    };
    const answer = await send(edge.port, app1(), '/page?x=1', { headers: forged });
    assert.equal(answer.status, 200);
    assert.equal(answer.body, 'the application\n');
    const [seen] = reachedApp;
    assert.ok(seen);
    assert.equal(seen.url, '/page?x=1');
    assert.deepEqual(valuesAt(seen.rawHeaders, 'remote-user'), ['alice']);
    assert.deepEqual(valuesAt(seen.rawHeaders, 'remote-email'), ['alice@example.com']);
    assert.deepEqual(valuesAt(seen.rawHeaders, 'remote-name'), ['Alice Liddell']);
    assert.deepEqual(valuesAt(seen.rawHeaders, 'remote-groups'), ['staff,users']);
    assert.deepEqual(valuesAt(seen.rawHeaders, 'remote_user'), [], 'nginx drops headers with underscores');
    assert.deepEqual(valuesAt(seen.rawHeaders, 'host'), [app1()]);
    assert.deepEqual(valuesAt(seen.rawHeaders, 'x-forwarded-for'), ['127.0.0.1']);
    // Nor does the replica see what the client wrote under those names.
    const [asked] = verifications;
    for (const name of ['remote-user', 'remote-email', 'remote-name', 'remote-groups'])
      assert.equal(asked?.headers[name], undefined, `${name} reached the replica`);
  });

  test('a header the verdict leaves out is not filled in by the client', async () => {
    fresh();
    verdict = { status: 200, headers: { 'remote-user': 'bob' } };
    const answer = await send(edge.port, `app2.${COOKIE_DOMAIN}:${edge.port}`, '/', {
      headers: { 'remote-groups': 'admins', 'remote-email': 'boss@example.com' },
    });
    assert.equal(answer.status, 200);
    const [seen] = reachedApp;
    assert.deepEqual(valuesAt(seen?.rawHeaders ?? [], 'remote-user'), ['bob']);
    assert.deepEqual(valuesAt(seen?.rawHeaders ?? [], 'remote-groups'), []);
    assert.deepEqual(valuesAt(seen?.rawHeaders ?? [], 'remote-email'), []);
  });

  test('a POST is checked with a GET and no body, and then passed on whole', async () => {
    fresh();
    verdict = { status: 200, headers: { 'remote-user': 'alice' } };
    const answer = await send(edge.port, app1(), '/form', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=1&b=2',
    });
    assert.equal(answer.status, 200);
    assert.deepEqual(
      verifications.map((asked) => [asked.method, asked.bodyBytes, asked.headers['x-original-method']]),
      [['GET', 0, 'POST']],
    );
    assert.equal(reachedApp[0]?.method, 'POST');
  });

  test('logged in but not allowed: 403, not cached, application not reached', async () => {
    fresh();
    verdict = { status: 403, headers: { 'remote-user': 'mallory' } };
    const answer = await send(edge.port, app1(), '/');
    assert.equal(answer.status, 403);
    assert.equal(answer.headers['cache-control'], 'no-store');
    assert.match(answer.body, /not open to your account/);
    assert.equal(reachedApp.length, 0);
  });

  test('when Twofold gives no verdict: 503 with Retry-After, never 500', async () => {
    fresh();
    for (const status of [500, 503, 429]) {
      verdict = { status };
      const answer = await send(edge.port, app1(), '/');
      assert.equal(answer.status, 503, `replica answered ${status}`);
      assert.equal(answer.headers['retry-after'], '5');
      assert.equal(answer.headers['cache-control'], 'no-store');
    }
    assert.equal(reachedApp.length, 0);
  });

  test('the verify location is internal; other names still reach the login service', async () => {
    verdict = { status: 200, headers: { 'remote-user': 'alice' } };
    assert.equal((await send(edge.port, app1(), '/_twofold/auth-verify')).status, 404);
    fresh();
    const login = await send(edge.port, `${COOKIE_DOMAIN}:${edge.port}`, '/login');
    assert.equal(login.status, 200);
    assert.equal(reachedApp.length, 0, 'the login page is not the application');
  });

  test('auth down (no replica answers): 503 with Retry-After', async () => {
    const closed = new Promise((resolve) => edge.replica.close(resolve));
    edge.replica.closeAllConnections();
    await closed;
    const answer = await send(edge.port, app1(), '/');
    assert.equal(answer.status, 503);
    assert.equal(answer.headers['retry-after'], '5');
  });
});
