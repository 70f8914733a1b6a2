import { join } from 'node:path';
import type pg from 'pg';
import Postgrator from 'postgrator';
import { SERVICE_DIR } from '../service-dir.ts';

const MIGRATIONS_DIR = join(SERVICE_DIR, 'src', 'migrations');
// Any constant works; it only has to be the same on every replica.
const MIGRATION_LOCK_KEY = 0x7477_6f66; // "twof"

/**
 * Brings the schema to the newest version. Replicas start together, so the run is serialised with
 * a session-level advisory lock on a dedicated connection: the first one migrates, the others wait
 * and then find nothing to do.
 */
export async function migrate(pool: pg.Pool): Promise<{ from: number; to: number }> {
  const client = await pool.connect();
  try {
    await client.query('SET statement_timeout = 0');
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      const postgrator = new Postgrator({
        migrationPattern: join(MIGRATIONS_DIR, '*'),
        driver: 'pg',
        schemaTable: 'schema_version',
        execQuery: (query) => client.query(query),
      });
      const from = Number(await postgrator.getDatabaseVersion());
      await postgrator.migrate();
      const to = Number(await postgrator.getDatabaseVersion());
      return { from, to };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
      await client.query('RESET statement_timeout');
    }
  } finally {
    client.release();
  }
}
