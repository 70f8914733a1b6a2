import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type pg from 'pg';
import { Registry } from 'prom-client';
import { countPgRetries, instrumentPgPool } from '../../src/pg-metrics.ts';
import { pgRetryReason } from '../../src/pg-retry.ts';

const pgError = (code: string, message = 'boom') => Object.assign(new Error(message), { code });

describe('PostgreSQL metrics', () => {
  it('reads the pool at scrape time', async () => {
    const pool = { totalCount: 4, idleCount: 3, waitingCount: 0 };
    const registry = new Registry();
    instrumentPgPool(pool as unknown as pg.Pool, registry);
    pool.waitingCount = 2;
    const text = await registry.metrics();
    assert.match(text, /^twofold_pg_pool_connections\{state="total"\} 4$/m);
    assert.match(text, /^twofold_pg_pool_connections\{state="idle"\} 3$/m);
    assert.match(text, /^twofold_pg_pool_connections\{state="waiting"\} 2$/m);
  });

  it('names why a statement was retried from a small fixed set', () => {
    assert.equal(pgRetryReason(pgError('57P01')), 'admin_shutdown');
    assert.equal(pgRetryReason(pgError('25006')), 'read_only_transaction');
    assert.equal(pgRetryReason(pgError('08006')), 'connection_exception');
    assert.equal(pgRetryReason(pgError('ECONNREFUSED')), 'econnrefused');
    assert.equal(pgRetryReason(new Error('Connection terminated unexpectedly')), 'connection_terminated');
    assert.equal(pgRetryReason(new Error('timeout exceeded when trying to connect')), 'connect_timeout');
    assert.equal(pgRetryReason(pgError('EWHATEVER', 'host db-7.internal said no')), 'other');
    assert.equal(pgRetryReason('text'), 'other');
    assert.equal(pgRetryReason(undefined), 'other');
  });

  it('counts retries by reason', async () => {
    const registry = new Registry();
    const onRetry = countPgRetries(registry);
    onRetry(pgError('57P01'));
    onRetry(pgError('57P01'));
    onRetry(pgError('ECONNRESET'));
    const text = await registry.metrics();
    assert.match(text, /^twofold_pg_retries_total\{reason="admin_shutdown"\} 2$/m);
    assert.match(text, /^twofold_pg_retries_total\{reason="econnreset"\} 1$/m);
  });
});
