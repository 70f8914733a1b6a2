// Issue 9 §1: whoever can write to Redis (another local user, before Redis had credentials) must
// not be able to mint a session. The reviewer rewrote their own password-only session record to a
// victim's id with state `authenticated`, and /auth/verify answered 200 with the victim's name.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, testConfig } from '../helpers/build-app.ts';
import {
  enrolledUser,
  expectStatus,
  PASSWORD,
  sessionIdOf,
  TestClient,
  uniqueUsername,
} from '../helpers/client.ts';

async function sessionRecord(app: FastifyInstance, prefix: string, client: TestClient) {
  const key = `${prefix}sess:${sessionIdOf(client)}`;
  const stored = await app.redis.get(key);
  assert.ok(stored, `no session record at ${key}`);
  return { key, record: JSON.parse(stored) };
}

async function passwordOnlySession(app: FastifyInstance): Promise<TestClient> {
  const attacker = new TestClient(app);
  const username = uniqueUsername('mallory');
  expectStatus(await attacker.post('/api/v1/register', { username, password: PASSWORD }), 201);
  const login = expectStatus(await attacker.post('/api/v1/login', { username, password: PASSWORD }), 200);
  assert.equal(login.json().state, 'enrollment_required');
  return attacker;
}

describe('session records in Redis', () => {
  it('a password-only record rewritten to another user, authenticated, is no session', async (t: TestContext) => {
    const config = await testConfig();
    const app = await buildTestApp(t, config);
    const victim = await enrolledUser(app);
    const victimSession = await sessionRecord(app, config.redisKeyPrefix, victim.client);
    const attacker = await passwordOnlySession(app);

    const { key, record } = await sessionRecord(app, config.redisKeyPrefix, attacker);
    const forged = {
      ...record,
      userId: victimSession.record.userId,
      username: victim.username,
      state: 'authenticated',
    };
    await app.redis.set(key, JSON.stringify(forged), 'PX', 60_000);

    const verify = await attacker.get('/auth/verify');
    assert.equal(verify.statusCode, 401, `forged record passed as ${verify.headers['remote-user']}`);
    assert.equal(verify.headers['remote-user'], undefined);
    expectStatus(await attacker.get('/api/v1/me'), 401);
    // The victim's own session is untouched.
    assert.equal(
      expectStatus(await victim.client.get('/auth/verify'), 200).headers['remote-user'],
      victim.username,
    );
  });

  it("the victim's authenticated record copied under the attacker's session id is no session", async (t: TestContext) => {
    const config = await testConfig();
    const app = await buildTestApp(t, config);
    const victim = await enrolledUser(app);
    const attacker = await passwordOnlySession(app);
    const victimSession = await sessionRecord(app, config.redisKeyPrefix, victim.client);
    const { key } = await sessionRecord(app, config.redisKeyPrefix, attacker);

    await app.redis.set(key, JSON.stringify(victimSession.record), 'PX', 60_000);

    expectStatus(await attacker.get('/auth/verify'), 401);
    expectStatus(await victim.client.get('/auth/verify'), 200);
  });

  it('a record without its MAC, or with another, is no session and is not listed', async (t: TestContext) => {
    const config = await testConfig();
    const app = await buildTestApp(t, config);
    const victim = await enrolledUser(app);
    const other = new TestClient(app);
    expectStatus(await other.post('/api/v1/login', { username: victim.username, password: PASSWORD }), 200);
    const { key, record } = await sessionRecord(app, config.redisKeyPrefix, other);
    assert.equal(typeof record.mac, 'string', 'records carry a MAC');

    const { mac: _, ...unsigned } = record;
    await app.redis.set(key, JSON.stringify({ ...unsigned, state: 'authenticated' }), 'PX', 60_000);
    expectStatus(await other.get('/auth/verify'), 401);
    await app.redis.set(key, JSON.stringify({ ...record, state: 'authenticated' }), 'PX', 60_000);
    expectStatus(await other.get('/auth/verify'), 401);

    const sessions = expectStatus(await victim.client.get('/api/v1/me/sessions'), 200).json().sessions;
    assert.deepEqual(
      sessions.map((s: { current: boolean }) => s.current),
      [true],
      'only the genuine session is listed',
    );
  });
});
