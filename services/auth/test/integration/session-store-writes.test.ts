// What a session costs in Redis, watched with MONITOR on the real test Redis. @fastify/session's
// regenerate() saved the new, empty session before the route filled it (a MULTI for nothing at
// every factor), and destroyed the session a login's password step had just made for the request,
// which was never stored (another, at every login).
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { buildTestApp, testConfig } from '../helpers/build-app.ts';
import { enrolledUser, expectStatus, PASSWORD, sessionIdOf, TestClient } from '../helpers/client.ts';
import { commandsOn, watchRedis } from '../helpers/redis-monitor.ts';

async function watchedApp(t: TestContext) {
  const config = await testConfig();
  const app = await buildTestApp(t, config);
  const watch = await watchRedis(t, config);
  const sessionKey = (id: string) => `${config.redisKeyPrefix}sess:${id}`;
  return { app, watch, sessionKey };
}

describe('the session store', () => {
  it('sends nothing to Redis for a session never established, and one write for one that is', async (t: TestContext) => {
    const { app, watch, sessionKey } = await watchedApp(t);
    const set = (id: string, session: object) =>
      new Promise<void>((resolve, reject) =>
        app.sessionStore.set(id, session as never, (error) => (error ? reject(error) : resolve())),
      );
    const stamp = `${Date.now()}`;
    const emptyId = `never-established-${stamp}`;
    const signedInId = `established-${stamp}`;
    await set(emptyId, { cookie: { originalMaxAge: null } });
    await set(signedInId, {
      userId: '00000000-0000-4000-8000-000000000002',
      username: 'u',
      state: 'password_verified',
      expiresAt: Date.now() + 60_000,
    });
    await watch.settle();

    assert.deepEqual(
      commandsOn(watch, sessionKey(emptyId)),
      [],
      'no command names the never-established session',
    );
    const written = commandsOn(watch, sessionKey(signedInId));
    assert.ok(written.includes('set'), `the established session is written (saw: ${written.join(', ')})`);
  });

  it("writes a login's first session once, under the id it sends, and destroys nothing", async (t: TestContext) => {
    const { app, watch, sessionKey } = await watchedApp(t);
    const { username } = await enrolledUser(app);
    watch.clear();
    const browser = new TestClient(app);
    expectStatus(await browser.post('/api/v1/login', { username, password: PASSWORD }), 200);
    await watch.settle();

    const onSessions = (command: string) =>
      watch.seen
        .filter((args) => args[0]?.toLowerCase() === command && args[1]?.startsWith(sessionKey('')))
        .map((args) => args[1]);
    assert.deepEqual(onSessions('set'), [sessionKey(sessionIdOf(browser))], 'one SET, of the session sent');
    assert.deepEqual(onSessions('del'), [], 'no DEL of a session never stored');
  });

  it("moves a login over someone else's live session to a new id, and ends that session", async (t: TestContext) => {
    const { app, watch, sessionKey } = await watchedApp(t);
    const victim = await enrolledUser(app);
    const attacker = await enrolledUser(app);
    // Session fixation: the attacker's own live session, planted in the victim's browser.
    const browser = new TestClient(app);
    browser.cookie = attacker.client.cookie;
    const planted = sessionIdOf(attacker.client);
    watch.clear();

    const login = await browser.post('/api/v1/login', { username: victim.username, password: PASSWORD });
    assert.deepEqual(expectStatus(login, 200).json().state, 'mfa_required');
    assert.notEqual(sessionIdOf(browser), planted, 'the victim is signed in under a new session id');
    await watch.settle();
    assert.ok(commandsOn(watch, sessionKey(planted)).includes('del'), 'the planted session is destroyed');
    assert.equal((await attacker.client.get('/api/v1/session')).statusCode, 401, 'the planted id is dead');
  });

  it('signs a login in under a new id when the cookie it brings is of a session that is gone', async (t: TestContext) => {
    const { app } = await watchedApp(t);
    const victim = await enrolledUser(app);
    const attacker = await enrolledUser(app);
    // A validly signed cookie whose session has ended: the attacker's own, after logging out.
    const planted = attacker.client.cookie;
    const plantedId = sessionIdOf(attacker.client);
    expectStatus(await attacker.client.post('/api/v1/logout'), 204);
    const browser = new TestClient(app);
    browser.cookie = planted;

    expectStatus(await browser.post('/api/v1/login', { username: victim.username, password: PASSWORD }), 200);
    assert.notEqual(sessionIdOf(browser), plantedId, 'the id of the ended session is not reused');
    const replay = new TestClient(app);
    replay.cookie = planted;
    assert.equal((await replay.get('/api/v1/session')).statusCode, 401, 'the planted cookie signs no one in');
  });
});
