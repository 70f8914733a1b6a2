import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPgRetryable, withPgRetry } from '../../src/pg-retry.ts';

const pgError = (code: string, message = 'boom') => Object.assign(new Error(message), { code });

describe('retrying statements through a failover', () => {
  it('classifies connection and failover errors as retryable, query errors not', () => {
    for (const error of [
      pgError('57P01', 'terminating connection due to administrator command'),
      pgError('25006', 'cannot execute INSERT in a read-only transaction'),
      pgError('08006'),
      pgError('ECONNREFUSED'),
      // What pg gives when the database's name does not resolve, as in Podman's DNS during a failover.
      pgError('EAI_AGAIN', 'getaddrinfo EAI_AGAIN haproxy'),
      pgError('ENOTFOUND', 'getaddrinfo ENOTFOUND haproxy'),
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded when trying to connect'),
    ]) {
      assert.equal(isPgRetryable(error), true, error.message);
    }
    for (const error of [pgError('23505'), pgError('42601'), pgError('57014'), new Error('bug'), 'text']) {
      assert.equal(isPgRetryable(error), false, String(error));
    }
  });

  it('runs the work again until it succeeds', async () => {
    let calls = 0;
    const retries: number[] = [];
    const result = await withPgRetry(
      async () => {
        calls += 1;
        if (calls < 3) throw pgError('57P01');
        return 'ok';
      },
      { budgetMs: 5_000, onRetry: (_error, attempt) => retries.push(attempt) },
    );
    assert.equal(result, 'ok');
    assert.deepEqual(retries, [1, 2]);
  });

  it('does not retry an error that is not about availability', async () => {
    let calls = 0;
    await assert.rejects(
      withPgRetry(
        async () => {
          calls += 1;
          throw pgError('23505');
        },
        { budgetMs: 5_000 },
      ),
      { code: '23505' },
    );
    assert.equal(calls, 1);
  });

  it('gives up when the time budget is spent', async () => {
    const started = Date.now();
    await assert.rejects(
      withPgRetry(
        async () => {
          throw pgError('08006');
        },
        { budgetMs: 400 },
      ),
      { code: '08006' },
    );
    assert.ok(Date.now() - started < 1_000);
  });
});
