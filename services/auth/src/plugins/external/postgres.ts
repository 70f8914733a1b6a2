import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Database } from '../../../../common/src/database.ts';
import { countPgRetries, instrumentPgPool } from '../../../../common/src/pg-metrics.ts';
import { createPgPool } from '../../../../common/src/pg-pool.ts';
import type { AuthConfig } from '../../config.ts';
import { assertClockAgrees } from '../../lib/clock.ts';
import { migrate } from '../../lib/migrate.ts';

declare module 'fastify' {
  interface FastifyInstance {
    db: Database;
    /** A read-only standby, when one is configured: asked only while the primary is slow to answer. */
    standbyDb: Database | undefined;
  }
}

/** How long a statement is retried through a failover before the request gets a 503. */
const FAILOVER_RETRY_BUDGET_MS = 15_000;
/**
 * The standby is a fallback for reads that are late already: it answers at once or not at all.
 * No retries; a second to connect and a second per statement (the client gives up a second later).
 */
const STANDBY_TIMEOUT_MS = 1_000;

export default fp(
  async function postgres(app: FastifyInstance, { config }: { config: AuthConfig }) {
    const pool = createPgPool({
      connectionString: config.databaseUrl,
      applicationName: `twofold-${config.replicaName}`,
      statementTimeoutMs: config.timeouts.dbStatementMs,
    });
    instrumentPgPool(pool, app.metrics.registry);
    const countRetry = countPgRetries(app.metrics.registry);
    app.decorate(
      'db',
      new Database(pool, FAILOVER_RETRY_BUDGET_MS, (error, attempt) => {
        countRetry(error);
        app.log.warn({ err: error, attempt }, 'database unavailable, retrying');
      }),
    );
    app.addHook('onClose', () => pool.end());
    const standby =
      config.databaseStandbyUrl === undefined
        ? undefined
        : createPgPool({
            connectionString: config.databaseStandbyUrl,
            applicationName: `twofold-${config.replicaName}-standby`,
            max: 4,
            connectTimeoutMs: STANDBY_TIMEOUT_MS,
            statementTimeoutMs: STANDBY_TIMEOUT_MS,
          });
    app.decorate('standbyDb', standby && new Database(standby, 0));
    if (standby) app.addHook('onClose', () => standby.end());
    await assertClockAgrees(app.db, config.maxClockSkewMs);
    const { from, to } = await migrate(pool);
    if (from !== to) app.log.info({ from, to }, 'database schema migrated');
  },
  { name: 'postgres', dependencies: ['metrics'] },
);
