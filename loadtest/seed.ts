// Seeds load-test users in bulk straight into a running cluster's PostgreSQL, each with a confirmed
// authenticator, so the load generator can log in as any of them (loadtest/seeded-users.ts).
// Usage: node --import tsx loadtest/seed.ts --count N --data-dir DIR [--seed NAME]
//          [--batch-size N] [--concurrency N]
// Re-running with the same seed inserts only the users that are missing.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PasswordHasher } from '../services/auth/src/lib/passwords.ts';
import { Database } from '../services/common/src/database.ts';
import { createPgPool } from '../services/common/src/pg-pool.ts';
import { SecretBox } from '../services/common/src/secret-box.ts';
import { clusterSeedTarget } from './seed-cluster.ts';
import { type SeedProgress, seedUsers, tableSizes } from './seed-insert.ts';
import { checkSeedName, DEFAULT_SEED } from './seed-rows.ts';
import { loadSeed, seededPassword, seededUsername, seedKeyFile } from './seeded-users.ts';

function positiveInteger(name: string, raw: string | undefined, fallback?: number): number {
  const value = raw === undefined ? fallback : Number(raw);
  if (value === undefined || !Number.isInteger(value) || value < 1) {
    throw new RangeError(`--${name} must be a positive integer${raw === undefined ? '' : `, got "${raw}"`}`);
  }
  return value;
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const rate = (p: SeedProgress) => Math.round(p.inserted / Math.max(p.seconds, 0.001));

function line(p: SeedProgress): string {
  const percent = ((100 * p.done) / p.count).toFixed(1);
  return `seed: ${p.done}/${p.count} (${percent}%) inserted ${p.inserted}, already there ${p.skipped}, ${rate(p)} users/s, ${p.seconds.toFixed(1)} s`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      count: { type: 'string' },
      seed: { type: 'string', default: DEFAULT_SEED },
      'data-dir': { type: 'string' },
      'batch-size': { type: 'string' },
      concurrency: { type: 'string' },
    },
  });
  const count = positiveInteger('count', values.count);
  const batchSize = positiveInteger('batch-size', values['batch-size'], 10_000);
  const concurrency = positiveInteger('concurrency', values.concurrency, 2);
  // Never by default: these are real accounts that can sign in, so the cluster is named each time.
  if (!values['data-dir'])
    throw new RangeError('--data-dir is required: the data directory of the (test) cluster to fill');
  const dataDir = path.resolve(values['data-dir']);
  const { databaseUrl, encryptionKeys, argon2 } = await clusterSeedTarget(dataDir);
  checkSeedName(values.seed, count);
  const seed = await loadSeed(dataDir, values.seed, true);

  const passwordHash = await new PasswordHasher(argon2).hash(seededPassword(seed));
  const pool = createPgPool({
    connectionString: databaseUrl,
    applicationName: 'twofold-seed',
    max: concurrency,
    statementTimeoutMs: 300_000,
  });
  // Statements are retried through a failover like a replica's; every batch is safe to run twice.
  const db = new Database(pool, 60_000);
  try {
    let shown = 0;
    const result = await seedUsers({
      db,
      box: new SecretBox(encryptionKeys),
      passwordHash,
      seed,
      count,
      batchSize,
      concurrency,
      onProgress: (p) => {
        if (p.seconds - shown < 2 && p.done < p.count) return;
        shown = p.seconds;
        console.log(line(p));
      },
    });
    console.log(
      `seed: done: ${result.inserted} users inserted, ${result.skipped} already there, in ${result.seconds.toFixed(1)} s: ` +
        `${rate(result)} users/s (${2 * rate(result)} rows/s, a user and its authenticator)`,
    );
    // Fresh statistics and visibility map, so the first logins of a load test do not pay for them.
    const vacuumStarted = performance.now();
    await pool.query('VACUUM (ANALYZE) users, totp_credentials');
    console.log(`seed: VACUUM (ANALYZE) in ${((performance.now() - vacuumStarted) / 1000).toFixed(1)} s`);
    for (const size of await tableSizes(db)) {
      console.log(`seed: ${size.table}: ${size.rows} rows, ${mib(size.bytes)} (pg_total_relation_size)`);
    }
    const [first, last] = [seededUsername(values.seed, 0), seededUsername(values.seed, count - 1)];
    console.log(
      `seed: users ${first} to ${last}; their credentials derive from ${seedKeyFile(dataDir, seed.name)}`,
    );
  } finally {
    await pool.end();
  }
}

try {
  await main();
} catch (error) {
  console.error(`seed: ${(error as Error).message}`);
  process.exitCode = error instanceof RangeError ? 2 : 1;
}
