import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, testConfig } from '../helpers/build-app.ts';
import {
  enrolledUser,
  expectStatus,
  PASSWORD,
  TestClient,
  totpCode,
  uniqueUsername,
} from '../helpers/client.ts';

describe('brute-force limits shared through Redis', () => {
  it('cuts parallel wrong TOTP codes at the limit exactly, then refuses even the right code', async (t: TestContext) => {
    const config = await testConfig();
    const limit = config.limits.secondFactorFailures;
    const one = await buildTestApp(t, { ...config, replicaName: 'one' });
    const two = await buildTestApp(t, { ...config, replicaName: 'two' });
    const { username, secret } = await enrolledUser(one);
    const client = new TestClient(one);
    expectStatus(await client.post('/api/v1/login', { username, password: PASSWORD }), 200);
    const right = await totpCode(secret);
    const wrong = right === '000000' ? '111111' : '000000';
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        client.use(i % 2 ? one : two).post('/api/v1/login/totp', { code: wrong }),
      ),
    );
    const statuses = responses.map((r) => r.statusCode);
    assert.equal(statuses.filter((s) => s === 401).length, limit, `exactly ${limit} attempts were checked`);
    assert.equal(statuses.filter((s) => s === 429).length, 20 - limit);
    const locked = await client.use(one).post('/api/v1/login/totp', { code: right });
    assert.equal(locked.statusCode, 429);
    assert.equal(locked.json().error.code, 'too_many_attempts');
    assert.ok(Number(locked.headers['retry-after']) > 0);
    // Recovery codes keep their own budget: a TOTP lockout does not lock the way out.
    const recovery = await client.post('/api/v1/login/recovery', { code: 'aaaaa-aaaaa' });
    assert.equal(recovery.statusCode, 401, 'the recovery code is checked (and wrong), not locked');
    assert.equal(recovery.json().error.code, 'invalid_code');
  });

  it('lets a second-factor lock expire', async (t: TestContext) => {
    const config = await testConfig();
    const app = await buildTestApp(t, {
      ...config,
      limits: { ...config.limits, secondFactorFailures: 2, lockoutSeconds: 2 },
    });
    const { username, secret } = await enrolledUser(app);
    const client = new TestClient(app);
    expectStatus(await client.post('/api/v1/login', { username, password: PASSWORD }), 200);
    const right = await totpCode(secret);
    const wrong = right === '000000' ? '111111' : '000000';
    const statuses = [];
    for (let i = 0; i < 3; i += 1)
      statuses.push((await client.post('/api/v1/login/totp', { code: wrong })).statusCode);
    assert.deepEqual(statuses, [401, 401, 429]);
    assert.equal((await client.post('/api/v1/login/totp', { code: right })).statusCode, 429);
    await new Promise((resolve) => setTimeout(resolve, 2_200));
    expectStatus(await client.post('/api/v1/login/totp', { code: right }), 200);
  });

  it('limits wrong passwords per account and lets the lock expire', async (t: TestContext) => {
    const config = await testConfig();
    const app = await buildTestApp(t, {
      ...config,
      limits: { ...config.limits, passwordFailures: 3, lockoutSeconds: 2 },
    });
    const username = uniqueUsername();
    expectStatus(await new TestClient(app).post('/api/v1/register', { username, password: PASSWORD }), 201);
    const client = new TestClient(app);
    const statuses = [];
    for (let i = 0; i < 4; i += 1)
      statuses.push(
        (await client.post('/api/v1/login', { username, password: 'wrong password!' })).statusCode,
      );
    assert.deepEqual(statuses, [401, 401, 401, 429]);
    assert.equal((await client.post('/api/v1/login', { username, password: PASSWORD })).statusCode, 429);
    await new Promise((resolve) => setTimeout(resolve, 2_200));
    assert.equal((await client.post('/api/v1/login', { username, password: PASSWORD })).statusCode, 200);
  });
});

describe('operations endpoints', () => {
  it('reports liveness, readiness and draining', async (t: TestContext) => {
    const app = await buildTestApp(t);
    assert.equal((await app.inject('/healthz')).statusCode, 200);
    const ready = await app.inject('/readyz');
    assert.equal(ready.statusCode, 200);
    const { oidcKeys, ...checks } = ready.json().checks;
    assert.deepEqual(checks, { postgres: 'up', redis: 'up', draining: false, keyIds: ['1'] });
    // The OpenID signing keys (ids, never keys): one per algorithm, each signing and published.
    assert.equal(oidcKeys.signing.length, 2);
    assert.deepEqual(oidcKeys.published, oidcKeys.signing);
    app.draining = true;
    const draining = await app.inject('/readyz');
    assert.equal(draining.statusCode, 503);
    assert.equal(draining.json().error.code, 'not_ready');
  });

  it('turns readiness 503 and requests into fast 503s when Redis is unreachable', async (t: TestContext) => {
    const config = await testConfig();
    const app = await buildTestApp(t, config);
    const { client } = await enrolledUser(app);
    app.redis.disconnect();
    const started = Date.now();
    const ready = await app.inject('/readyz');
    assert.equal(ready.statusCode, 503);
    assert.equal(ready.json().checks.redis, 'down');
    const me = await client.get('/api/v1/me');
    assert.equal(me.statusCode, 503, 'a session that cannot be read is not a 401');
    assert.equal(me.json().error.code, 'service_unavailable');
    assert.ok(Date.now() - started < 5_000, 'no hang on a dead dependency');
  });

  it('exposes Prometheus metrics with login step counters', async (t: TestContext) => {
    const app = await buildTestApp(t);
    await enrolledUser(app);
    await new TestClient(app).post('/api/v1/login', { username: 'nobody-here', password: 'whatever!!' });
    const metrics = (await app.inject('/metrics')).body;
    assert.match(metrics, /twofold_login_steps_total\{step="register",result="success"[^}]*\} 1/);
    assert.match(metrics, /twofold_login_steps_total\{step="password",result="failure"[^}]*\} 1/);
    assert.match(metrics, /twofold_login_steps_total\{step="confirm",result="success"[^}]*\} 1/);
    assert.match(metrics, /process_cpu_user_seconds_total/);
    assert.match(metrics, /twofold_http_request_duration_seconds_bucket/);
  });

  it('serves the pages with a strict Content-Security-Policy', async (t: TestContext) => {
    const app = await buildTestApp(t);
    for (const page of ['/login', '/register', '/setup-2fa', '/verify-2fa', '/dashboard']) {
      const response = await app.inject(page);
      assert.equal(response.statusCode, 200, page);
      assert.match(String(response.headers['content-type']), /text\/html/);
      assert.match(String(response.headers['content-security-policy']), /script-src 'self'/);
      assert.doesNotMatch(String(response.headers['content-security-policy']), /unsafe-inline/);
    }
    assert.equal((await app.inject('/static/app.css')).statusCode, 200);
    assert.equal((await app.inject('/static/../../src/config.ts')).statusCode, 404);
  });
});

describe('request rate limit per client IP', () => {
  // An anonymous endpoint of the API: session checks are never limited, and an authenticated
  // endpoint refuses an anonymous request (401) before the budget is counted.
  const logout = (app: FastifyInstance) =>
    app.inject({
      method: 'POST',
      url: '/api/v1/logout',
      headers: { 'content-type': 'application/json' },
      payload: '{}',
    });

  it('answers 429 rate_limited past the budget, shared by the replicas, and never limits the ops endpoints', async (t: TestContext) => {
    const config = await testConfig();
    const limited = { ...config, rateLimit: { max: 5, windowSeconds: 60 } };
    const one = await buildTestApp(t, limited);
    const two = await buildTestApp(t, limited);
    const statuses = [];
    for (let i = 0; i < 6; i += 1) statuses.push((await logout(i % 2 ? one : two)).statusCode);
    assert.deepEqual(statuses, [204, 204, 204, 204, 204, 429]);
    const refused = await logout(one);
    assert.equal(refused.json().error.code, 'rate_limited');
    assert.ok(Number(refused.headers['retry-after']) > 0);
    for (let i = 0; i < 10; i += 1) {
      assert.equal((await one.inject('/healthz')).statusCode, 200);
      assert.equal((await one.inject('/readyz')).statusCode, 200);
      assert.equal((await one.inject('/metrics')).statusCode, 200);
      assert.equal((await one.inject('/auth/verify')).statusCode, 401);
    }
  });
});
