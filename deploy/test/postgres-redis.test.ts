// Starts a real PostgreSQL and a real Redis through the supervisor's modules, uses them,
// stops them, and checks that no process of theirs is left.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import pg from 'pg';
import { memberPidFile } from '../src/paths.ts';
import { freePort } from '../src/ports.ts';
import { type PostgresServer, startPostgres } from '../src/postgres.ts';
import { descendants, isAlive } from '../src/proc.ts';
import { type RedisServer, startRedis } from '../src/redis.ts';

describe('PostgreSQL and Redis started by the supervisor', () => {
  let dataDir: string;
  let postgres: PostgresServer | undefined;
  let redis: RedisServer | undefined;

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'twofold-deploy-test-'));
    // mkdtemp gives 700; the postgres user must be able to walk into it.
    await chmod(dataDir, 0o755);
  });

  after(async () => {
    await postgres?.stop();
    await redis?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('PostgreSQL: starts, serves the twofold database, stops without leftovers', async () => {
    postgres = await startPostgres({
      dataDir,
      port: await freePort(),
      appPassword: 'app-pw-for-test',
      durable: false,
    });
    assert.ok(postgres.databaseUrl);
    const client = new pg.Client({ connectionString: postgres.databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT current_user AS who, current_database() AS db');
      assert.deepEqual(rows[0], { who: 'twofold', db: 'twofold' });
      await client.query('CREATE TABLE probe (id int)');
    } finally {
      await client.end();
    }

    const extraUrl = await postgres.createDatabase('extra_db_for_test');
    const extra = new pg.Client({ connectionString: extraUrl });
    await extra.connect();
    assert.equal((await extra.query('SELECT current_database() AS db')).rows[0].db, 'extra_db_for_test');
    await extra.end();

    const pidFile = memberPidFile(dataDir, 'pg-1');
    assert.equal(Number((await readFile(pidFile, 'utf8')).trim()), postgres.handle.pid);
    const pids = [postgres.handle.pid, ...descendants(postgres.handle.pid)];
    assert.ok(pids.length > 1, 'postmaster has its background workers');
    await postgres.stop();
    for (const pid of pids) assert.equal(isAlive(pid), false, `pid ${pid} is gone`);
    await assert.rejects(stat(pidFile), { code: 'ENOENT' });
  });

  test('PostgreSQL: a second start reuses the data directory and its secrets', async () => {
    postgres = await startPostgres({
      dataDir,
      port: await freePort(),
      appPassword: 'app-pw-for-test',
      durable: false,
    });
    const client = new pg.Client({ connectionString: postgres.databaseUrl });
    await client.connect();
    assert.equal((await client.query('SELECT count(*)::int AS n FROM probe')).rows[0].n, 0);
    await client.end();
    const pid = postgres.handle.pid;
    await postgres.stop();
    postgres = undefined;
    assert.equal(isAlive(pid), false);
  });

  test('Redis: starts, answers, persists to its AOF, stops without leftovers', async () => {
    redis = await startRedis({ dataDir, port: await freePort() });
    const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await client.connect();
    try {
      assert.equal(await client.set('twofold:probe', 'yes'), 'OK');
      assert.equal(await client.get('twofold:probe'), 'yes');
      assert.equal(await client.config('GET', 'appendonly').then((pair) => (pair as string[])[1]), 'yes');
    } finally {
      client.disconnect();
    }
    const pid = redis.handle.pid;
    await redis.stop();
    assert.equal(isAlive(pid), false);

    redis = await startRedis({ dataDir, port: await freePort() });
    const again = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await again.connect();
    assert.equal(await again.get('twofold:probe'), 'yes', 'the AOF brought the key back');
    again.disconnect();
    const secondPid = redis.handle.pid;
    await redis.stop();
    redis = undefined;
    assert.equal(isAlive(secondPid), false);
  });

  test('Redis: records a command that holds it for 100 ms or more in LATENCY LATEST', async () => {
    redis = await startRedis({ dataDir, port: await freePort() });
    const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await client.connect();
    try {
      const threshold = await client.config('GET', 'latency-monitor-threshold');
      assert.deepEqual(threshold, ['latency-monitor-threshold', '100']);
      const busyFor150Ms = `local function now() local t = redis.call('TIME') return t[1] * 1000000 + t[2] end
        local start = now() repeat until now() - start >= 150000 return 1`;
      await client.eval(busyFor150Ms, 0);
      const events = (await client.latency('LATEST')) as Array<[string, number, number, number]>;
      const command = events.find(([event]) => event === 'command');
      assert.ok(command, `a "command" latency event, got ${JSON.stringify(events)}`);
      assert.ok(command[2] >= 150, `its latency in ms, got ${command[2]}`);
    } finally {
      client.disconnect();
      await redis.stop();
      redis = undefined;
    }
  });
});
