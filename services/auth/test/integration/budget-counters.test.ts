// Brute-force counters without an expiry, some below zero: a cluster's Redis held thousands of them
// after many failovers and restarts (lib/regulator.ts). The next attempt must give such a counter
// an expiry and count from one, or its account stays locked out, or unlimited, for good.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it, type TestContext } from 'node:test';
import { buildTestApp, testConfig } from '../helpers/build-app.ts';

describe('a budget counter left without its expiry', () => {
  it('gets one at the next attempt, and one below zero counts from one again', async (t: TestContext) => {
    const config = await testConfig();
    const app = await buildTestApp(t, config);
    const key = (subject: string) => `${config.redisKeyPrefix}attempts:totp:${subject}`;

    const negative = randomUUID();
    await app.redis.set(key(negative), '-3');
    const first = await app.regulator.consume('totp', negative);
    assert.equal(first.count, 1, 'a counter below zero starts again at one');
    assert.ok((await app.redis.ttl(key(negative))) > 0, 'and expires with its window');

    const stuck = randomUUID();
    await app.redis.set(key(stuck), '4');
    const next = await app.regulator.consume('totp', stuck);
    assert.equal(next.count, 5, 'the attempts it holds still count');
    const ttl = await app.redis.ttl(key(stuck));
    assert.ok(ttl > 0 && ttl <= config.limits.lockoutSeconds, `expires within the window (TTL ${ttl} s)`);
    assert.equal(next.retryAfterSeconds, ttl);
  });
});
