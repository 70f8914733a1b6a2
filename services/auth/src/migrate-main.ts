// `node services/auth/dist/migrate-main.js`: brings the schema to this build's newest version and
// exits, for deployments that migrate before new code starts (a Kubernetes Job, a Compose one-shot).
// A replica migrates at start as well, under the same lock, so running this first is optional.
import { Type } from '@sinclair/typebox';
import { ConfigError, loadEnv } from '../../common/src/env-loader.ts';
import { createPgPool } from '../../common/src/pg-pool.ts';
import { migrate } from './lib/migrate.ts';

const MigrateEnvSchema = Type.Object({
  TWOFOLD_DATABASE_URL: Type.String({ pattern: '^postgres(ql)?://' }),
});

let databaseUrl: string;
try {
  databaseUrl = String(loadEnv(MigrateEnvSchema, process.env).TWOFOLD_DATABASE_URL);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`twofold migrate: bad configuration: ${error.message}`);
  process.exit(2);
}

const pool = createPgPool({ connectionString: databaseUrl, applicationName: 'twofold-migrate', max: 1 });
try {
  const { from, to } = await migrate(pool);
  console.log(from === to ? `schema already at version ${to}` : `schema migrated from ${from} to ${to}`);
} catch (error) {
  console.error(`twofold migrate: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await pool.end();
}
