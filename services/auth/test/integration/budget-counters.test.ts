// Brute-force counters without an expiry, some below zero: a cluster's Redis held thousands of them
// after many failovers and restarts (lib/regulator.ts). Such a counter belongs to no window we know:
// the next attempt starts it again at one, with a window, or its account stays locked out for good.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it, type TestContext } from 'node:test';
import { buildTestApp, testConfig } from '../helpers/build-app.ts';

describe('a budget counter', () => {
  it('found without an expiry or below zero starts again at one, with a window', async (t: TestContext) => {
    const config = await testConfig();
    const app = await buildTestApp(t, config);
    const key = (subject: string) => `${config.redisKeyPrefix}attempts:totp:${subject}`;
    const window = config.limits.lockoutSeconds;

    for (const stored of ['-3', '4', '40']) {
      const subject = randomUUID();
      await app.redis.set(key(subject), stored);
      const verdict = await app.regulator.consume('totp', subject);
      assert.deepEqual(
        verdict,
        { allowed: true, count: 1, retryAfterSeconds: window },
        `a counter found at ${stored} without an expiry`,
      );
      const ttl = await app.redis.ttl(key(subject));
      assert.ok(ttl >= window - 1 && ttl <= window, `expires with its window (TTL ${ttl} s of ${window})`);
    }
  });

  it('with an expiry keeps it: the window is not extended', async (t: TestContext) => {
    const config = await testConfig();
    const app = await buildTestApp(t, config);
    const subject = randomUUID();
    const key = `${config.redisKeyPrefix}attempts:totp:${subject}`;
    await app.redis.set(key, '4', 'EX', 100);
    const verdict = await app.regulator.consume('totp', subject);
    assert.equal(verdict.count, 5);
    assert.ok(
      verdict.retryAfterSeconds >= 99 && verdict.retryAfterSeconds <= 100,
      `${verdict.retryAfterSeconds} s`,
    );
    assert.ok((await app.redis.ttl(key)) <= 100);
  });
});
