// A real nginx from the rendered template in front of a stand-in auth replica whose answers the
// test chooses: what the edge does with each verdict of /auth/verify (issue 9 §4: a replica that
// cannot answer must give the protected application 503 with Retry-After, never 500), and its
// flood limit on the API. The demo applications behind forward auth: demo-apps-edge.test.ts.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Socket as NetSocket } from 'node:net';
import { describe, test } from 'node:test';
import { startNginx } from '../src/nginx.ts';
import { freePort } from '../src/ports.ts';
import { edgeInFront } from './support/edge.ts';

describe('the edge in front of /auth/verify', () => {
  let verdict = 200;
  const edge = edgeInFront((request, response) => {
    if (request.url === '/auth/verify' && verdict === 200) response.setHeader('remote-user', 'alice');
    response.statusCode = request.url === '/auth/verify' ? verdict : 200;
    response.end();
  });

  const protectedPage = () =>
    fetch(new URL('protected/page', edge.lb.url), { signal: AbortSignal.timeout(10_000) });

  test('lets a vouched-for user through and refuses one without a session', async () => {
    verdict = 200;
    const allowed = await protectedPage();
    assert.equal(allowed.status, 200);
    assert.equal(await allowed.text(), 'hello alice\n');
    verdict = 401;
    assert.equal((await protectedPage()).status, 401);
  });

  test('answers 503 with Retry-After, never 500, when the replica gives no verdict', async () => {
    for (const answer of [429, 500, 503]) {
      verdict = answer;
      const response = await protectedPage();
      assert.equal(response.status, 503, `replica answered ${answer}`);
      assert.equal(response.headers.get('retry-after'), '5');
      assert.equal(
        ((await response.json()) as { error: { code: string } }).error.code,
        'service_unavailable',
      );
    }
  });

  test('answers 503 with Retry-After when no replica can be reached', async () => {
    await new Promise((resolve) => edge.replica.close(resolve));
    const response = await protectedPage();
    assert.equal(response.status, 503);
    assert.equal(response.headers.get('retry-after'), '5');
  });

  test('caps the push WebSockets one address holds (limit_conn 50, then 429)', async () => {
    const pushPort = await freePort();
    // A stand-in gateway that accepts every connection and holds it open.
    const held: NetSocket[] = [];
    const gateway = createServer();
    gateway.on('request', (_request, response) => {
      held.push(response.socket as NetSocket);
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('held\n');
    });
    await new Promise<void>((resolve) => gateway.listen(pushPort, '127.0.0.1', resolve));
    const pushEdge = await startNginx({
      dataDir: edge.dir,
      name: 'b',
      listenPort: await freePort(),
      upstreamPorts: [await freePort()],
      pushUpstreamPorts: [pushPort],
    });
    const controllers: AbortController[] = [];
    try {
      const open = async () => {
        const controller = new AbortController();
        controllers.push(controller);
        return fetch(new URL('push/v1/connect', pushEdge.url), { signal: controller.signal });
      };
      const first = await Promise.all(Array.from({ length: 50 }, open));
      assert.deepEqual([...new Set(first.map((response) => response.status))], [200]);
      assert.equal((await open()).status, 429);
    } finally {
      for (const controller of controllers) controller.abort();
      for (const socket of held) socket.destroy();
      await pushEdge.stop();
      gateway.close();
    }
  });
});

describe('the edge rate limit on the API (issue 9 §4)', () => {
  const reached: string[] = [];
  const edge = edgeInFront(
    (request, response) => {
      reached.push(`${request.method} ${request.url}`);
      const script = request.url?.startsWith('/static/');
      response.setHeader('content-type', script ? 'application/javascript' : 'application/json');
      response.end(script ? `// ${'x'.repeat(4096)}` : JSON.stringify({ padding: 'x'.repeat(4096) }));
    },
    { apiRatePerSecond: 2 }, // bursts of 20
  );

  const send = (method: string, route: string) =>
    fetch(new URL(route, edge.lb.url), {
      method,
      headers: method === 'POST' ? { 'content-type': 'application/json' } : {},
      body: method === 'POST' ? '{}' : undefined,
      signal: AbortSignal.timeout(10_000),
    });

  test('a flood from one address gets 429 in the contract shape, without reaching a replica', async () => {
    reached.length = 0;
    const answers = await Promise.all(Array.from({ length: 40 }, () => send('POST', 'api/v1/login')));
    const refused = answers.filter((answer) => answer.status === 429);
    assert.ok(refused.length >= 15, `${refused.length} of 40 refused (burst 20)`);
    assert.equal(
      answers.length - refused.length,
      reached.length,
      'a refused request never reached a replica',
    );
    const first = refused[0] as Response;
    assert.equal(first.headers.get('retry-after'), '1');
    assert.equal(((await first.json()) as { error: { code: string } }).error.code, 'rate_limited');
  });

  test('session checks, pages and static files are never refused by it', async () => {
    const checks = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        send(
          'GET',
          ['api/v1/session', 'api/v1/me', 'auth/verify', 'login', 'static/app.js'][i % 5] as string,
        ),
      ),
    );
    assert.deepEqual([...new Set(checks.map((answer) => answer.status))], [200]);
  });

  test('scripts are compressed, API answers are not (BREACH)', async () => {
    const get = (route: string) =>
      fetch(new URL(route, edge.lb.url), {
        headers: { 'accept-encoding': 'gzip' },
        signal: AbortSignal.timeout(10_000),
      });
    assert.equal((await get('static/meter.js')).headers.get('content-encoding'), 'gzip');
    assert.equal((await get('api/v1/session')).headers.get('content-encoding'), null);
  });
});
