import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type pg from 'pg';
import { createPgPool } from '../../../../common/src/pg-pool.ts';
import type { AuthConfig } from '../../config.ts';
import { migrate } from '../../lib/migrate.ts';

declare module 'fastify' {
  interface FastifyInstance {
    db: pg.Pool;
  }
}

export default fp(
  async function postgres(app: FastifyInstance, { config }: { config: AuthConfig }) {
    const pool = createPgPool({
      connectionString: config.databaseUrl,
      applicationName: `twofold-${config.replicaName}`,
      statementTimeoutMs: config.timeouts.dbStatementMs,
    });
    app.decorate('db', pool);
    app.addHook('onClose', () => pool.end());
    const { from, to } = await migrate(pool);
    if (from !== to) app.log.info({ from, to }, 'database schema migrated');
  },
  { name: 'postgres' },
);
