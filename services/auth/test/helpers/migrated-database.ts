// A fresh test database at the newest schema, without an auth app around it: for repositories and
// the admin code the `twofold` CLI runs.
import { createTestDatabase } from '../../../../test/support/services.ts';
import { Database } from '../../../common/src/database.ts';
import { createPgPool } from '../../../common/src/pg-pool.ts';
import { migrate } from '../../src/lib/migrate.ts';

export async function migratedDatabase(t: {
  after: (fn: () => Promise<unknown>) => unknown;
}): Promise<{ url: string; db: Database }> {
  const url = await createTestDatabase();
  const pool = createPgPool({ connectionString: url, applicationName: 'twofold-test' });
  t.after(() => pool.end());
  await migrate(pool);
  return { url, db: new Database(pool, 15_000) };
}
