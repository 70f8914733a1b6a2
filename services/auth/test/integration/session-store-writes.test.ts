// @fastify/session's regenerate() saves the new, empty session before the route fills it: a write
// that stored nothing (the record has no deadline) yet cost a MULTI round trip at every factor of
// every login. What Redis receives is watched with MONITOR on the real test Redis.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { Redis } from 'ioredis';
import { buildTestApp, testConfig } from '../helpers/build-app.ts';

describe('the session store', () => {
  it('sends nothing to Redis for a session never established, and one write for one that is', async (t: TestContext) => {
    const config = await testConfig();
    const app = await buildTestApp(t, config);
    const store = app.sessionStore;
    const target = config.redis;
    assert.ok('url' in target, 'the test Redis is reached by URL');
    const monitored = new Redis(target.url, { username: target.username, password: target.password });
    t.after(() => monitored.disconnect());
    const monitor = await monitored.monitor();
    t.after(() => monitor.disconnect());
    const seen: string[][] = [];
    monitor.on('monitor', (_time: string, args: string[]) => seen.push(args));

    const set = (id: string, session: object) =>
      new Promise<void>((resolve, reject) =>
        store.set(id, session as never, (error) => (error ? reject(error) : resolve())),
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
    // MONITOR reports a command once Redis ran it; the write above was acknowledged, so it has run.
    await new Promise((resolve) => setTimeout(resolve, 100));

    const about = (id: string) => seen.filter((args) => args.some((arg) => arg.includes(id)));
    assert.deepEqual(about(emptyId), [], 'no command names the never-established session');
    const written = about(signedInId).map((args) => args[0]?.toLowerCase());
    assert.ok(written.includes('set'), `the established session is written (saw: ${written.join(', ')})`);
  });
});
