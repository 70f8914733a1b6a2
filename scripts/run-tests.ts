// `npm test`: finds every *.test.ts, starts ONE real PostgreSQL and ONE real Redis for the
// integration tests (not with --unit), runs node's test runner over the files one at a time,
// then stops the servers and exits with the test run's exit code.
// Usage: node --import tsx scripts/run-tests.ts [--unit] [filter...]
// A filter keeps files whose path starts with it (deploy/) or whose name contains it (totp).
import { spawn } from 'node:child_process';
import type { Dirent } from 'node:fs';
import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import { constants, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { tailFile } from '../deploy/src/files.ts';
import { repoRoot } from '../deploy/src/paths.ts';
import { freePort } from '../deploy/src/ports.ts';
import { type PostgresServer, startPostgres } from '../deploy/src/postgres.ts';
import { type RedisServer, startRedis } from '../deploy/src/redis.ts';

const ROOTS = ['services', 'deploy', 'test'];

async function findTestFiles(dir: string): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const found: string[] = [];
  for (const entry of entries) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await findTestFiles(full)));
    else if (entry.isFile() && entry.name.endsWith('.test.ts')) found.push(full);
  }
  return found;
}

interface Harness {
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

async function startHarness(): Promise<Harness> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'twofold-test-'));
  await chmod(dataDir, 0o755); // PostgreSQL runs as `postgres`, who must be able to enter it
  let postgres: PostgresServer | undefined;
  let redis: RedisServer | undefined;
  const stop = async () => {
    await redis?.stop();
    await postgres?.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
  let starting = 'PostgreSQL';
  try {
    postgres = await startPostgres({
      dataDir,
      port: await freePort(),
      appDatabase: false,
      durable: false, // a throwaway cluster: speed over crash safety
      maxConnections: 300,
    });
    starting = 'Redis';
    redis = await startRedis({ dataDir, port: await freePort() });
  } catch (error) {
    const logFile = path.join(dataDir, 'logs', starting === 'Redis' ? 'redis-1.log' : 'pg-1.log');
    console.error(`test harness: ${starting} failed to start: ${(error as Error).message}`);
    console.error(`test harness: its log is ${logFile}; last lines:\n${await tailFile(logFile, 20)}`);
    if (postgres) console.error(`test harness: stopping PostgreSQL (log ${postgres.logFile})`);
    await postgres?.stop();
    console.error(`test harness: kept ${dataDir} for inspection`);
    throw error;
  }
  console.log(
    `test harness: PostgreSQL on 127.0.0.1:${postgres.port}, Redis on 127.0.0.1:${redis.port} (logs in ${dataDir}/logs)`,
  );
  return {
    env: { TWOFOLD_TEST_DATABASE_URL: postgres.adminUrl, TWOFOLD_TEST_REDIS_URL: redis.url },
    stop,
  };
}

function runTests(files: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...files], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: 'inherit',
  });
  // Ctrl-C reaches the test runner through the terminal too; a SIGTERM sent only to us is passed on.
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise((resolve) => {
    child.once('error', (error) => {
      console.error(`cannot run the tests: ${error.message}`);
      resolve(1);
    });
    child.once('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(code ?? 128 + (signal ? constants.signals[signal] : 1));
    });
  });
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    options: { unit: { type: 'boolean', default: false } },
    allowPositionals: true,
  });
  const all = (await Promise.all(ROOTS.map((root) => findTestFiles(path.join(repoRoot, root)))))
    .flat()
    .sort();
  const files = all
    .map((file) => path.relative(repoRoot, file))
    .filter((file) => !values.unit || file.split(path.sep).includes('unit'))
    .filter(
      (file) =>
        positionals.length === 0 ||
        positionals.some((filter) => file.startsWith(filter) || path.basename(file).includes(filter)),
    );
  if (files.length === 0) {
    console.log('no test files found');
    return 0;
  }
  console.log(`running ${files.length} test file(s)${values.unit ? ' (unit only)' : ''}`);

  // A signal must not kill us on the spot: the servers would outlive us. Remember it instead.
  let interrupted: NodeJS.Signals | undefined;
  const remember = (signal: NodeJS.Signals) => {
    interrupted ??= signal;
  };
  process.on('SIGINT', remember);
  process.on('SIGTERM', remember);
  let harness: Harness | undefined;
  if (!values.unit) {
    try {
      harness = await startHarness();
    } catch {
      return 1;
    }
  }
  try {
    if (interrupted) return 128 + constants.signals[interrupted];
    return await runTests(files, harness?.env ?? {});
  } finally {
    await harness?.stop().catch((error) => console.error(`test harness: stopping failed: ${error.message}`));
  }
}

process.exit(await main());
