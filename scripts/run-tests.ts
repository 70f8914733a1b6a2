// `npm test`: finds every *.test.ts, starts ONE real PostgreSQL and ONE real Redis for the
// integration tests (not with --unit), runs node's test runner over the files one at a time,
// then stops the servers and exits with the test run's exit code.
// Usage: node --import tsx scripts/run-tests.ts [--unit] [filter...]
// A filter keeps files whose path starts with it (deploy/) or whose name contains it (totp); a
// filter that keeps no file is an error (a typo must not pass as a green run).
// Each test (and hook) fails after TWOFOLD_TEST_TIMEOUT_MS (default 8 minutes), so a lost await
// fails the run instead of hanging CI.
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { constants, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { tailFile } from '../deploy/src/files.ts';
import { repoRoot } from '../deploy/src/paths.ts';
import { freePort } from '../deploy/src/ports.ts';
import { type PostgresServer, startPostgres } from '../deploy/src/postgres.ts';
import { type RedisServer, startRedis } from '../deploy/src/redis.ts';
import {
  DEFAULT_TEST_TIMEOUT_MS,
  findTestFiles,
  isUnitTest,
  selectTestFiles,
  TEST_ROOTS,
  testRunnerArgs,
} from './test-selection.ts';

const UNIT_CONCURRENCY = 2;

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

function runTests(files: string[], env: NodeJS.ProcessEnv, concurrency = 1): Promise<number> {
  if (files.length === 0) return Promise.resolve(0);
  const timeoutMs = Number(process.env.TWOFOLD_TEST_TIMEOUT_MS ?? DEFAULT_TEST_TIMEOUT_MS);
  const child = spawn(process.execPath, [...testRunnerArgs(timeoutMs, concurrency), ...files], {
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
  const all = (await Promise.all(TEST_ROOTS.map((root) => findTestFiles(path.join(repoRoot, root)))))
    .flat()
    .map((file) => path.relative(repoRoot, file))
    .sort();
  const { files, unmatched } = selectTestFiles(all, { unit: values.unit, filters: positionals });
  if (unmatched.length > 0 || files.length === 0) {
    const which = unmatched.length > 0 ? unmatched.join(', ') : '(no filter)';
    console.error(`no test file matches ${which}${values.unit ? ' among the unit tests' : ''}`);
    return 1;
  }
  console.log(`running ${files.length} test file(s)${values.unit ? ' (unit only)' : ''}`);

  // A signal must not kill us on the spot: the servers would outlive us. Remember it instead.
  let interrupted: NodeJS.Signals | undefined;
  const remember = (signal: NodeJS.Signals) => {
    interrupted ??= signal;
  };
  process.on('SIGINT', remember);
  process.on('SIGTERM', remember);
  // Unit tests (pure logic: no server, no shared state) run two at a time, while the servers for
  // the others start; the others run one at a time, as clusters and timings need the machine.
  const unitFiles = files.filter(isUnitTest);
  const others = files.filter((file) => !isUnitTest(file));
  let harness: Harness | undefined;
  const units = runTests(unitFiles, {}, UNIT_CONCURRENCY);
  if (others.length > 0) {
    try {
      harness = await startHarness();
    } catch {
      await units;
      return 1;
    }
  }
  try {
    const unitCode = await units;
    if (interrupted) return 128 + constants.signals[interrupted];
    const otherCode = await runTests(others, harness?.env ?? {});
    return unitCode !== 0 ? unitCode : otherCode;
  } finally {
    await harness?.stop().catch((error) => console.error(`test harness: stopping failed: ${error.message}`));
  }
}

process.exit(await main());
