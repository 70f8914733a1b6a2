// Real PostgreSQL and Redis for integration tests. Under `npm test` the harness
// (scripts/run-tests.ts) has started them and says where in TWOFOLD_TEST_DATABASE_URL and
// TWOFOLD_TEST_REDIS_URL; a file run on its own (`node --import tsx --test file`) gets its own
// servers for the life of its process instead, so a test never silently skips.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../deploy/src/ports.ts';
import { startPostgres } from '../../deploy/src/postgres.ts';
import { createDatabase } from '../../deploy/src/postgres-admin.ts';
import { isAlive } from '../../deploy/src/proc.ts';
import type { ProcessHandle } from '../../deploy/src/process-handle.ts';
import { startRedis } from '../../deploy/src/redis.ts';

export { freePort };

export interface TestServices {
  /** Superuser URL (database `postgres`): may CREATE DATABASE. Prefer createTestDatabase(). */
  databaseUrl: string;
  redisUrl: string;
}

let services: Promise<TestServices> | undefined;

export function getTestServices(): Promise<TestServices> {
  services ??= resolveServices();
  return services;
}

/**
 * A fresh database (named after `name`, made unique) owned by a new login role of the same
 * name, so each test file works in isolation; returns that role's URL for it.
 */
export async function createTestDatabase(name = 'db'): Promise<string> {
  const { databaseUrl } = await getTestServices();
  const base = name
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .slice(0, 30);
  return createDatabase(databaseUrl, `test_${base}_${process.pid}_${randomBytes(4).toString('hex')}`);
}

async function resolveServices(): Promise<TestServices> {
  let databaseUrl = process.env.TWOFOLD_TEST_DATABASE_URL;
  let redisUrl = process.env.TWOFOLD_TEST_REDIS_URL;
  if (databaseUrl && redisUrl) return { databaseUrl, redisUrl };

  const dataDir = mkdtempSync(path.join(tmpdir(), 'twofold-test-own-'));
  chmodSync(dataDir, 0o755); // PostgreSQL runs as `postgres`, who must be able to enter it
  const started: Array<{ handle: ProcessHandle; signal: NodeJS.Signals }> = [];
  registerCleanup(dataDir, started);
  if (!databaseUrl) {
    const port = await freePort();
    const pg = await startPostgres({
      dataDir,
      port,
      appDatabase: false,
      durable: false,
      ref: false,
      detached: false,
    });
    started.push({ handle: pg.handle, signal: 'SIGINT' });
    databaseUrl = pg.adminUrl;
  }
  if (!redisUrl) {
    const redis = await startRedis({ dataDir, port: await freePort(), ref: false, detached: false });
    started.push({ handle: redis.handle, signal: 'SIGTERM' });
    redisUrl = redis.url;
  }
  return { databaseUrl, redisUrl };
}

/**
 * Stops our servers when this process ends. Normally that is when the event loop runs dry
 * ('beforeExit'), where stopping can be asynchronous, so the servers are waited for and reaped.
 * On process.exit() or a signal only synchronous work is possible: signal them, wait with a
 * blocking sleep (at most 15s, then SIGKILL), remove the directory.
 */
function registerCleanup(dataDir: string, started: Array<{ handle: ProcessHandle; signal: NodeJS.Signals }>) {
  let state: 'running' | 'stopping' | 'stopped' = 'running';
  process.on('beforeExit', () => {
    if (state !== 'running') return;
    state = 'stopping';
    void Promise.allSettled(started.map(({ handle }) => handle.stop())).then(() => {
      rmSync(dataDir, { recursive: true, force: true });
      state = 'stopped';
    });
  });
  const stopNow = () => {
    if (state === 'stopped') return;
    state = 'stopped';
    for (const { handle, signal } of started) handle.signal(signal);
    const deadline = Date.now() + 15_000;
    const sleeper = new Int32Array(new SharedArrayBuffer(4));
    while (started.some(({ handle }) => isAlive(handle.pid)) && Date.now() < deadline) {
      Atomics.wait(sleeper, 0, 0, 50);
    }
    for (const { handle } of started) handle.signal('SIGKILL', true);
    rmSync(dataDir, { recursive: true, force: true });
  };
  process.once('exit', stopNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      stopNow();
      process.kill(process.pid, signal); // our listener is gone: the default action ends the process
    });
  }
}
