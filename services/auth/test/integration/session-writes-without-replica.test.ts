// The load test's Redis master kill: with no replica left to acknowledge, every session write's
// WAIT held the replica's one Redis connection for its whole timeout, so a few logins a second
// queued every other command (session checks included) past its own timeout: 503s until a replica
// came back. The test Redis has no replica, as the promoted master had none.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { buildTestApp, testConfig } from '../helpers/build-app.ts';

describe('session writes while no Redis replica acknowledges', () => {
  it('do not hold back the commands behind them: parallel writes and reads all succeed', async (t: TestContext) => {
    const config = await testConfig({ redisWaitReplicas: 1 });
    // WAIT's timeout is half the command timeout: 200 ms here, so that a dozen WAITs in a row
    // (2.4 s) put the commands queued behind them well past their 400 ms.
    const app = await buildTestApp(t, { ...config, timeouts: { ...config.timeouts, redisCommandMs: 400 } });
    const store = app.sessionStore;
    const write = (id: string) =>
      new Promise<void>((resolve, reject) =>
        store.set(
          id,
          {
            userId: '00000000-0000-4000-8000-000000000001',
            username: 'u',
            state: 'password_verified',
            expiresAt: Date.now() + 60_000,
          },
          (error) => (error ? reject(error) : resolve()),
        ),
      );
    const read = (id: string) =>
      new Promise<unknown>((resolve, reject) =>
        store.get(id, (error, session) => (error ? reject(error) : resolve(session))),
      );
    const prefix = `no-replica-${Date.now()}-`;
    await write(`${prefix}first`);
    const outcomes = await Promise.allSettled([
      ...Array.from({ length: 12 }, (_, i) => write(`${prefix}${i}`)),
      ...Array.from({ length: 12 }, () => read(`${prefix}first`)),
    ]);
    const failed = outcomes.filter((outcome) => outcome.status === 'rejected');
    assert.deepEqual(
      failed.map((outcome) => String((outcome as PromiseRejectedResult).reason)),
      [],
      'every write and read succeeded',
    );
    for (let i = 0; i < 12; i += 1) assert.ok(await read(`${prefix}${i}`), `session ${i} was written`);
  });
});
