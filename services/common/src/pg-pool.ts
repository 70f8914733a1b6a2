import pg from 'pg';

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

/** SQLSTATE classes that mean "the database is unreachable or restarting", not "your query is wrong". */
export function isPgUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: string }).code ?? '';
  if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03') return true;
  if (code === '25006' || code === '40001' || code === '57014') return true;
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH'].includes(code)) return true;
  return /timeout|Connection terminated|connect ECONNREFUSED/i.test(error.message);
}
