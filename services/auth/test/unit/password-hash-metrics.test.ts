import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { createMeasuredPasswordHasher } from '../../src/lib/password-hash-metrics.ts';
import { type HashOperation, PasswordHasher, PasswordHasherBusyError } from '../../src/lib/passwords.ts';

// The minimum argon2 accepts: these tests are about the bookkeeping, not the cost.
const CHEAP = { memoryKiB: 8, timeCost: 1, parallelism: 1 };

describe('the password hasher observer', () => {
  it('reports each hash and verification with its duration, dummy checks as verifications', async () => {
    const finished: Array<[HashOperation, number]> = [];
    const hasher = new PasswordHasher(CHEAP, Number.POSITIVE_INFINITY, {
      finished: (operation, seconds) => finished.push([operation, seconds]),
    });
    const hash = await hasher.hash('a password');
    assert.equal(await hasher.verify(hash, 'a password'), true);
    assert.equal(await hasher.verify(hash, 'another one'), false);
    await hasher.verifyDummy('whatever');
    assert.deepEqual(
      finished.map(([operation]) => operation),
      ['hash', 'verify', 'verify', 'verify'],
    );
    for (const [, seconds] of finished) assert.ok(seconds >= 0 && seconds < 5, `${seconds} s`);
  });

  it('reports a refusal, and no duration for the refused work', async () => {
    let refused = 0;
    const operations: HashOperation[] = [];
    const hasher = new PasswordHasher(CHEAP, 1, {
      finished: (operation) => operations.push(operation),
      refused: () => {
        refused += 1;
      },
    });
    const first = hasher.hash('first password');
    await assert.rejects(hasher.verify('$argon2id$x', 'second'), PasswordHasherBusyError);
    await first;
    assert.equal(refused, 1);
    assert.deepEqual(operations, ['hash']);
  });
});

describe('the measured password hasher', () => {
  it('exports durations by operation, the pending count and bound, and refusals', async () => {
    const registry = new Registry();
    const hasher = createMeasuredPasswordHasher(CHEAP, 1, registry);
    const first = hasher.hash('first password');
    const during = await registry.metrics();
    assert.match(during, /^twofold_password_hash_pending 1$/m);
    assert.match(during, /^twofold_password_hash_pending_limit 1$/m);
    await assert.rejects(hasher.hash('second password'), PasswordHasherBusyError);
    await hasher.verify(await first, 'first password');
    const after = await registry.metrics();
    assert.match(after, /^twofold_password_hash_pending 0$/m);
    assert.match(after, /^twofold_password_hash_refused_total 1$/m);
    assert.match(after, /^twofold_password_hash_duration_seconds_count\{operation="hash"\} 1$/m);
    assert.match(after, /^twofold_password_hash_duration_seconds_count\{operation="verify"\} 1$/m);
    assert.match(after, /^twofold_password_hash_duration_seconds_bucket\{le="5",operation="hash"\} 1$/m);
  });

  it('leaves the bound out when there is none', async () => {
    const registry = new Registry();
    createMeasuredPasswordHasher(CHEAP, Number.POSITIVE_INFINITY, registry);
    const text = await registry.metrics();
    assert.doesNotMatch(text, /twofold_password_hash_pending_limit/);
    assert.match(text, /^twofold_password_hash_pending 0$/m);
  });
});
