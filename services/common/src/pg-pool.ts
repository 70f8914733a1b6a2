import pg from 'pg';
import { isPgRetryable } from './pg-retry.ts';

export interface PgPoolOptions {
  connectionString: string;
  applicationName: string;
  max?: number;
  connectTimeoutMs?: number;
  statementTimeoutMs?: number;
}

/**
 * A pg pool where every call has a deadline: connecting, each statement (server side) and each
 * query (client side, a little later, in case the server itself is gone).
 */
export function createPgPool(options: PgPoolOptions): pg.Pool {
  const statementTimeoutMs = options.statementTimeoutMs ?? 5_000;
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    application_name: options.applicationName,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 3_000,
    idleTimeoutMillis: 30_000,
    statement_timeout: statementTimeoutMs,
    query_timeout: statementTimeoutMs + 1_000,
    idle_in_transaction_session_timeout: statementTimeoutMs * 2,
    keepAlive: true,
  });
  // A broken idle client must not crash the process; the pool drops it and the next query reconnects.
  pool.on('error', () => {});
  return pool;
}

/** Errors that mean "the database is unreachable, restarting or too slow", not "your query is wrong". */
export function isPgUnavailable(error: unknown): boolean {
  if (isPgRetryable(error)) return true;
  const code = (error as { code?: string } | undefined)?.code;
  return code === '57014' || (error instanceof Error && /timeout/i.test(error.message));
}
