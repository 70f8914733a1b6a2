import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it, type TestContext } from 'node:test';
import { buildApp } from '../../src/app.ts';
import { buildTestApp, testConfig } from '../helpers/build-app.ts';
import { enrolledUser, expectStatus, PASSWORD, TestClient, uniqueUsername } from '../helpers/client.ts';
import { TcpProxy } from '../helpers/tcp-proxy.ts';

/** An app whose PostgreSQL can be taken away (a relay in between) and brought back. */
async function appWithRemovablePostgres(t: TestContext) {
  const config = await testConfig();
  const url = new URL(config.databaseUrl);
  const proxy = await TcpProxy.start({ host: url.hostname, port: Number(url.port) });
  t.after(() => proxy.stop());
  const app = await buildTestApp(t, { ...config, databaseUrl: proxy.rewrite(config.databaseUrl) });
  return { app, proxy };
}

describe('PostgreSQL down', () => {
  it('/readyz answers 503 while PostgreSQL is down, and 200 again once it is back', async (t: TestContext) => {
    const { app, proxy } = await appWithRemovablePostgres(t);
    expectStatus(await app.inject({ method: 'GET', url: '/readyz' }), 200);
    await proxy.stop();
    const down = expectStatus(await app.inject({ method: 'GET', url: '/readyz' }), 503).json();
    assert.equal(down.error.code, 'not_ready');
    assert.deepEqual([down.checks.postgres, down.checks.redis, down.checks.draining], ['down', 'up', false]);
    await proxy.resume();
    const up = expectStatus(await app.inject({ method: 'GET', url: '/readyz' }), 200).json();
    assert.deepEqual([up.checks.postgres, up.checks.redis], ['up', 'up']);
  });

  it('a statement failing for longer than the failover retry budget gets 503 service_unavailable', async (t: TestContext) => {
    const { app, proxy } = await appWithRemovablePostgres(t);
    const { client } = await enrolledUser(app);
    await proxy.stop();
    const response = await client.get('/api/v1/me');
    assert.equal(response.statusCode, 503, response.body);
    assert.equal(response.json().error.code, 'service_unavailable');
    assert.equal(response.headers['retry-after'], '1');
    await proxy.resume();
    expectStatus(await client.get('/api/v1/me'), 200);
  });

  it('a statement failing for less than the retry budget is retried: the request succeeds', async (t: TestContext) => {
    const { app, proxy } = await appWithRemovablePostgres(t);
    const { client, username } = await enrolledUser(app);
    await proxy.stop();
    const during = client.get('/api/v1/me');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await proxy.resume();
    const me = expectStatus(await during, 200).json();
    assert.equal(me.user.username, username);
  });
});

describe('Redis WAIT with no replica to acknowledge (TWOFOLD_REDIS_WAIT_REPLICAS=1)', () => {
  it('the login still succeeds and a warning is logged', async (t: TestContext) => {
    const lines: Array<Record<string, unknown>> = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const config = await testConfig({ redisWaitReplicas: 1 });
    const app = await buildApp(config, { logger: { level: 'warn', stream } });
    t.after(() => app.close());
    await app.ready();

    const client = new TestClient(app);
    const username = uniqueUsername();
    expectStatus(await client.post('/api/v1/register', { username, password: PASSWORD }), 201);
    const login = expectStatus(await client.post('/api/v1/login', { username, password: PASSWORD }), 200);
    assert.deepEqual(login.json(), { state: 'enrollment_required' });
    const session = expectStatus(await client.get('/api/v1/session'), 200).json();
    assert.deepEqual([session.state, session.user.username], ['enrollment_required', username]);

    const warnings = lines.filter((l) => l.msg === 'session write not acknowledged by a Redis replica');
    assert.ok(warnings.length >= 1, JSON.stringify(lines));
    assert.deepEqual(
      warnings.map((w) => [w.level, w.acknowledged, w.wanted]),
      warnings.map(() => [40, 0, 1]),
    );
  });
});
