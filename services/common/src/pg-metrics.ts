import type pg from 'pg';
import { Counter, Gauge, type Registry } from 'prom-client';
import { pgRetryReason } from './pg-retry.ts';

/** The pool's connections by state, read at scrape time. */
export function instrumentPgPool(pool: pg.Pool, registry: Registry): void {
  new Gauge({
    name: 'twofold_pg_pool_connections',
    help: 'PostgreSQL pool connections: total open, idle, and callers waiting for one',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      this.set({ state: 'total' }, pool.totalCount);
      this.set({ state: 'idle' }, pool.idleCount);
      this.set({ state: 'waiting' }, pool.waitingCount);
    },
  });
}

/** An `onRetry` for Database that counts each retry by a bounded reason (never the message). */
export function countPgRetries(registry: Registry): (error: unknown) => void {
  const retries = new Counter({
    name: 'twofold_pg_retries_total',
    help: 'Statements retried through a PostgreSQL failover, by reason',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  return (error) => retries.inc({ reason: pgRetryReason(error) });
}
