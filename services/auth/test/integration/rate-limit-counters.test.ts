// Request counters without an expiry: a cluster's Redis held hundreds of them after many failovers
// and restarts (lib/regulator.ts). Such a counter starts again at one, with a window, at the next
// request, or its address is refused for good once past the limit. The counting script is
// @fastify/rate-limit's, mended (plugins/external/rate-limit.ts).
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { buildTestApp, testConfig } from '../helpers/build-app.ts';

async function budgetedRequest(
  t: TestContext,
  before: (key: string, app: Awaited<ReturnType<typeof buildTestApp>>) => Promise<unknown>,
) {
  const config = await testConfig();
  const app = await buildTestApp(t, config);
  const key = `${config.redisKeyPrefix}rl:127.0.0.1`;
  await before(key, app);
  const response = await app.inject({
    method: 'POST',
    url: '/api/v1/login',
    payload: { username: 'x', password: 'y' },
  });
  assert.equal(response.statusCode, 401, response.body);
  return {
    count: await app.redis.get(key),
    pttl: await app.redis.pttl(key),
    windowMs: config.rateLimit.windowSeconds * 1000,
  };
}

describe("an address's request counter", () => {
  it('found without an expiry starts again at one, with a window', async (t: TestContext) => {
    const { count, pttl, windowMs } = await budgetedRequest(t, (key, app) => app.redis.set(key, '7'));
    assert.equal(count, '1');
    assert.ok(
      pttl > windowMs - 5_000 && pttl <= windowMs,
      `expires with its window (PTTL ${pttl} of ${windowMs} ms)`,
    );
  });

  it('with an expiry keeps it, and counts on', async (t: TestContext) => {
    const kept = 3_600_000;
    const { count, pttl, windowMs } = await budgetedRequest(t, (key, app) =>
      app.redis.set(key, '7', 'PX', kept),
    );
    assert.ok(kept > windowMs, 'the stored expiry is longer than a window, so a reset would show');
    assert.equal(count, '8');
    assert.ok(pttl > kept - 5_000 && pttl <= kept, `PTTL ${pttl} ms`);
  });
});
