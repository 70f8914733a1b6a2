import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PasswordHasher, PasswordHasherBusyError } from '../../src/lib/passwords.ts';

// Enough memory that a verification takes a few milliseconds, so that overlapping ones would show.
const PARAMS = { memoryKiB: 4_096, timeCost: 1, parallelism: 1 };

describe('password hashes run at most maxConcurrent at once', () => {
  it('runs them one after another with a limit of 1: their working times add up to no more than the wall time', async () => {
    const spans: Array<[number, number]> = [];
    const hasher = new PasswordHasher(
      PARAMS,
      Number.POSITIVE_INFINITY,
      {
        finished: (_operation, seconds) =>
          spans.push([performance.now() - seconds * 1000, performance.now()]),
      },
      1,
    );
    const hash = await hasher.hash('a password here');
    spans.length = 0;
    const results = await Promise.all(
      Array.from({ length: 4 }, () => hasher.verify(hash, 'a password here')),
    );
    assert.deepEqual(results, [true, true, true, true]);
    spans.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i += 1) {
      const [start] = spans[i] as [number, number];
      const [, previousEnd] = spans[i - 1] as [number, number];
      // Each one starts only once the one before it has ended (1 ms for the timer's rounding).
      assert.ok(
        start >= previousEnd - 1,
        `verification ${i} started ${(previousEnd - start).toFixed(1)} ms early`,
      );
    }
  });

  it('counts the queued ones as pending, so the busy refusal still applies to them', async () => {
    const hasher = new PasswordHasher(PARAMS, 2, {}, 1);
    const hash = await hasher.hash('a password here');
    const first = hasher.verify(hash, 'a password here');
    const second = hasher.verify(hash, 'a password here');
    assert.equal(hasher.pending, 2);
    await assert.rejects(hasher.verify(hash, 'a password here'), PasswordHasherBusyError);
    assert.deepEqual(await Promise.all([first, second]), [true, true]);
    assert.equal(hasher.pending, 0);
  });
});
