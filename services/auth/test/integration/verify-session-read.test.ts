// /auth/verify reads the session without @fastify/session (lib/sessions.ts, readSessionUser): it must
// refuse every cookie @fastify/session refuses, and slide the idle timeout as a session read does.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { sign } from '@fastify/cookie';
import type { FastifyInstance } from 'fastify';
import { SessionRecordSigner } from '../../src/lib/session-store.ts';
import { buildTestApp, testConfig } from '../helpers/build-app.ts';
import {
  COOKIE,
  enrolledUser,
  expectStatus,
  sessionIdOf,
  sessionSignatureOf,
  TestClient,
} from '../helpers/client.ts';

/** A browser holding `value` as its session cookie, and nothing else. */
function browserWith(app: FastifyInstance, value: string): TestClient {
  const client = new TestClient(app);
  client.cookie = encodeURIComponent(value);
  return client;
}

/** A signed-in user of a fresh app, with the Redis key of their session. */
async function signedInSession(t: TestContext) {
  const config = await testConfig();
  const app = await buildTestApp(t, config);
  const user = await enrolledUser(app);
  const id = sessionIdOf(user.client);
  return { config, app, user, id, key: `${config.redisKeyPrefix}sess:${id}` };
}

describe('/auth/verify reads the session itself', () => {
  it('refuses the session id unsigned, signed with another secret, or with another id’s signature', async (t: TestContext) => {
    const config = await testConfig();
    const app = await buildTestApp(t, config);
    const victim = await enrolledUser(app);
    const other = await enrolledUser(app);
    const id = sessionIdOf(victim.client);
    const changedId = `${id.slice(0, -1)}${id.endsWith('A') ? 'B' : 'A'}`;

    expectStatus(await victim.client.get('/auth/verify'), 200);
    const forged: [string, string][] = [
      ['the bare id', id],
      ['the id signed with another secret', sign(id, `${config.sessionSecret}-not-ours`)],
      ['the id with another session’s signature', `${id}.${sessionSignatureOf(other.client)}`],
      ['the id changed under its signature', `${changedId}.${sessionSignatureOf(victim.client)}`],
    ];
    for (const [what, value] of forged) {
      const answer = await browserWith(app, value).get('/auth/verify');
      assert.equal(answer.statusCode, 401, `${what} was taken: ${answer.headers['remote-user']}`);
      assert.equal(answer.headers['remote-user'], undefined);
    }
    // The same cookie, as the API reads it through @fastify/session, agrees.
    expectStatus(
      await browserWith(app, sign(id, `${config.sessionSecret}-not-ours`)).get('/api/v1/session'),
      401,
    );
    expectStatus(
      await browserWith(app, decodeURIComponent(victim.client.cookie ?? '')).get('/api/v1/session'),
      200,
    );
  });

  it('slides the idle timeout, and knows nothing of a session logged out', async (t: TestContext) => {
    const { app, user, key } = await signedInSession(t);

    await app.redis.pexpire(key, 5_000);
    const answer = expectStatus(await user.client.get('/auth/verify'), 200);
    assert.equal(answer.headers['remote-user'], user.username);
    assert.equal(answer.headers['set-cookie'], undefined, 'a check never sets a cookie');
    const ttl = await app.redis.pttl(key);
    assert.ok(ttl > 5_000, `the check did not slide the idle timeout (PTTL ${ttl} ms)`);

    const cookie = user.client.cookie;
    expectStatus(await user.client.post('/api/v1/logout'), 204);
    const after = new TestClient(app);
    after.jar.set(COOKIE, cookie ?? '');
    expectStatus(await after.get('/auth/verify'), 401);
  });

  it('slides at most once per slack (a hundredth of the idle timeout, at most 1 s)', async (t: TestContext) => {
    const { config, app, user, id, key } = await signedInSession(t);
    const signedIn = `${config.redisKeyPrefix}sess:signed-in`;
    const idleMs = config.session.idleSeconds * 1000;
    assert.ok(idleMs >= 100_000, 'the test assumes a slack of 1 s');

    // Slid 400 ms ago: within the slack, the check writes nothing.
    await app.redis.pexpire(key, idleMs - 400);
    const scoreBefore = await app.redis.zscore(signedIn, id);
    expectStatus(await user.client.get('/auth/verify'), 200);
    expectStatus(await user.client.get('/api/v1/session'), 200);
    assert.ok((await app.redis.pttl(key)) <= idleMs - 400, 'slid again within the slack');
    assert.equal(await app.redis.zscore(signedIn, id), scoreBefore);

    // Slid 3 s ago: past the slack, the check slides the key and its entry in the signed-in index.
    await app.redis.pexpire(key, idleMs - 3_000);
    const checkedAt = Date.now();
    expectStatus(await user.client.get('/auth/verify'), 200);
    assert.ok((await app.redis.pttl(key)) > idleMs - 1_000, 'not slid past the slack');
    assert.ok(Number(await app.redis.zscore(signedIn, id)) >= checkedAt + idleMs - 1_000);
  });

  it('refuses a session past its deadline even when its key was made to live longer', async (t: TestContext) => {
    const { config, app, user, id, key } = await signedInSession(t);
    const { mac: _mac, ...content } = JSON.parse((await app.redis.get(key)) ?? '{}');
    // Sealed with the replicas' own secret, so only the deadline is wrong; the TTL is a fresh slide's.
    const expired = new SessionRecordSigner(config.sessionSecret).seal(id, {
      ...content,
      expiresAt: Date.now() - 1_000,
    });
    await app.redis.set(key, expired, 'PX', config.session.idleSeconds * 1000);
    expectStatus(await user.client.get('/auth/verify'), 401);
    expectStatus(await user.client.get('/api/v1/session'), 401);
  });
});
