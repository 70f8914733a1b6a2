import type pg from 'pg';
import { withPgRetry } from './pg-retry.ts';

/**
 * The pool as repositories see it: each statement or transaction is retried as a whole while
 * PostgreSQL fails over (see withPgRetry), so a primary change costs latency, not an error.
 * Writes retried this way must be safe to run twice (ids chosen by the caller, ON CONFLICT, or
 * compare-and-set updates).
 */
export class Database {
  constructor(
    readonly pool: pg.Pool,
    private readonly retryBudgetMs: number,
    private readonly onRetry?: (error: unknown, attempt: number) => void,
  ) {}

  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>> {
    return withPgRetry(() => this.pool.query<R>(text, values), this.retryOptions());
  }

  transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return withPgRetry(async () => {
      const client = await this.pool.connect();
      let broken = false;
      try {
        await client.query('BEGIN');
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        throw error;
      } finally {
        // A client whose connection broke must not go back to the pool.
        client.release(broken);
      }
    }, this.retryOptions());
  }

  private retryOptions() {
    return { budgetMs: this.retryBudgetMs, onRetry: this.onRetry };
  }
}
