// Request counters without an expiry: a cluster's Redis held hundreds of them after many failovers
// and restarts (lib/regulator.ts). The next request must give one its expiry, or its address is
// refused for good once past the limit. The counting script is @fastify/rate-limit's, mended
// (plugins/external/rate-limit.ts).
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { buildTestApp, testConfig } from '../helpers/build-app.ts';

describe("an address's request counter left without its expiry", () => {
  it('gets one at the next budgeted request, and the request is counted', async (t: TestContext) => {
    const config = await testConfig();
    const app = await buildTestApp(t, config);
    const key = `${config.redisKeyPrefix}rl:127.0.0.1`;
    await app.redis.set(key, '7');

    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/login',
      payload: { username: 'x', password: 'y' },
    });
    assert.equal(response.statusCode, 401, response.body);
    assert.equal(await app.redis.get(key), '8');
    const ttl = await app.redis.pttl(key);
    const windowMs = config.rateLimit.windowSeconds * 1000;
    assert.ok(ttl > 0 && ttl <= windowMs, `expires within the window (PTTL ${ttl} ms)`);
  });
});
