import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, testConfig } from '../helpers/build-app.ts';
import { enrolledUser, expectStatus, PASSWORD, TestClient, totpCode } from '../helpers/client.ts';
import { TcpProxy } from '../helpers/tcp-proxy.ts';

/** The value of the series `name` whose labels include `labels`; undefined when there is none. */
function metric(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/([a-z_]+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => present[k] === v)) return Number(match[3]);
  }
  return undefined;
}

async function scrape(app: FastifyInstance): Promise<string> {
  return expectStatus(await app.inject('/metrics'), 200).body;
}

/** A six-digit code other than the right one (and other than its neighbours in time). */
async function wrongCode(secret: string): Promise<string> {
  const near = await Promise.all([-30_000, 0, 30_000].map((d) => totpCode(secret, Date.now() + d)));
  for (let n = 0; ; n += 1) {
    const code = String(n).padStart(6, '0');
    if (!near.includes(code)) return code;
  }
}

describe('domain metrics on /metrics', () => {
  it('a registration, a password login, a wrong and a right TOTP show in the new series', async (t: TestContext) => {
    const app = await buildTestApp(t);
    const user = await enrolledUser(app);
    const browser = new TestClient(app);
    const login = expectStatus(
      await browser.post('/api/v1/login', { username: user.username, password: PASSWORD }),
      200,
    );
    assert.equal(login.json().state, 'mfa_required');
    const wrong = await browser.post('/api/v1/login/totp', { code: await wrongCode(user.secret) });
    assert.equal(wrong.statusCode, 401, wrong.body);
    expectStatus(await browser.post('/api/v1/login/totp', { code: await totpCode(user.secret) }), 200);

    const text = await scrape(app);
    const hashes = metric(text, 'twofold_password_hash_duration_seconds_count', { operation: 'hash' });
    const verifications = metric(text, 'twofold_password_hash_duration_seconds_count', {
      operation: 'verify',
    });
    assert.ok((hashes ?? 0) >= 1, `hashes: ${hashes}`);
    assert.ok((verifications ?? 0) >= 2, `verifications: ${verifications}`);
    assert.equal(metric(text, 'twofold_password_hash_pending', { service: 'auth', replica: 'test' }), 0);
    assert.equal(metric(text, 'twofold_password_hash_pending_limit'), app.config.argon2MaxPending);
    assert.equal(metric(text, 'twofold_password_hash_refused_total'), 0);
    assert.equal(metric(text, 'twofold_second_factor_total', { factor: 'totp', result: 'failure' }), 1);
    assert.equal(metric(text, 'twofold_second_factor_total', { factor: 'totp', result: 'success' }), 1);
    for (const state of ['total', 'idle', 'waiting']) {
      const value = metric(text, 'twofold_pg_pool_connections', { state });
      assert.ok(value !== undefined && value >= 0, `pool ${state}: ${value}`);
    }
    assert.ok((metric(text, 'twofold_pg_pool_connections', { state: 'total' }) ?? 0) >= 1);
    // The enrolment's session and this login's are both signed in.
    assert.ok((metric(text, 'twofold_active_sessions') ?? 0) >= 2, 'active sessions');
    assert.equal(metric(text, 'twofold_redis_reconnects_total'), 0);
    assert.equal(metric(text, 'twofold_redis_master_changes_total'), 0);
    assert.equal(metric(text, 'twofold_pg_retries_total'), undefined, 'no retry yet');
    assert.doesNotMatch(text, new RegExp(user.username), 'no username in the metrics');
  });

  it('a signed-out session is no longer counted', async (t: TestContext) => {
    const config = await testConfig();
    const app = await buildTestApp(t, config);
    const user = await enrolledUser(app);
    assert.equal(await app.sessionStore.countSignedIn(), 1);
    expectStatus(await user.client.post('/api/v1/logout'), 204);
    assert.equal(await app.sessionStore.countSignedIn(), 0);
  });

  it('a locked second factor counts as locked, and the refusing budget as a lockout', async (t: TestContext) => {
    const app = await buildTestApp(t);
    const user = await enrolledUser(app);
    const browser = new TestClient(app);
    expectStatus(await browser.post('/api/v1/login', { username: user.username, password: PASSWORD }), 200);
    const code = await wrongCode(user.secret);
    for (let i = 0; i < app.config.limits.secondFactorFailures; i += 1) {
      assert.equal((await browser.post('/api/v1/login/totp', { code })).statusCode, 401);
    }
    assert.equal((await browser.post('/api/v1/login/totp', { code })).statusCode, 429);
    const text = await scrape(app);
    const failures = app.config.limits.secondFactorFailures;
    assert.equal(
      metric(text, 'twofold_second_factor_total', { factor: 'totp', result: 'failure' }),
      failures,
    );
    assert.equal(metric(text, 'twofold_second_factor_total', { factor: 'totp', result: 'locked' }), 1);
    assert.equal(metric(text, 'twofold_lockouts_total', { scope: 'totp' }), 1);
  });

  it('counts Redis reconnections and PostgreSQL retries through outages', async (t: TestContext) => {
    const config = await testConfig();
    const redisUrl = 'url' in config.redis ? config.redis.url : '';
    const pgUrl = new URL(config.databaseUrl);
    const redisTarget = new URL(redisUrl);
    const pgProxy = await TcpProxy.start({ host: pgUrl.hostname, port: Number(pgUrl.port) });
    const redisProxy = await TcpProxy.start({ host: redisTarget.hostname, port: Number(redisTarget.port) });
    t.after(() => Promise.all([pgProxy.stop(), redisProxy.stop()]));
    const app = await buildTestApp(t, {
      ...config,
      databaseUrl: pgProxy.rewrite(config.databaseUrl),
      redis: { ...config.redis, url: redisProxy.rewrite(redisUrl) },
    });
    const { client } = await enrolledUser(app);

    await pgProxy.stop();
    const during = client.get('/api/v1/me');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await pgProxy.resume();
    expectStatus(await during, 200);

    await redisProxy.stop();
    await new Promise((resolve) => setTimeout(resolve, 500));
    await redisProxy.resume();
    for (let i = 0; i < 50 && app.redis.status !== 'ready'; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const text = await scrape(app);
    const retries = text
      .split('\n')
      .filter((line) => line.startsWith('twofold_pg_retries_total{'))
      .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
    assert.ok(retries >= 1, `pg retries: ${retries}`);
    assert.match(text, /^twofold_pg_retries_total\{reason="[a-z_]+"/m);
    assert.ok((metric(text, 'twofold_redis_reconnects_total') ?? 0) >= 1, 'redis reconnects');
    assert.equal(metric(text, 'twofold_redis_master_changes_total'), 0, 'the same server came back');
  });
});
