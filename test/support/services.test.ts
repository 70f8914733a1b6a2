import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import pg from 'pg';
import { repoRoot } from '../../deploy/src/paths.ts';
import { isAlive } from '../../deploy/src/proc.ts';
import { createTestDatabase, getTestServices } from './services.ts';

describe('test services', () => {
  test('createTestDatabase gives each caller its own database, owned by its own role', async () => {
    const [first, second] = await Promise.all([createTestDatabase('users'), createTestDatabase('users')]);
    assert.notEqual(first, second);
    const client = new pg.Client({ connectionString: first });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT current_user AS who, current_database() AS db');
      assert.equal(rows[0].who, new URL(first).username);
      assert.equal(rows[0].db, new URL(first).pathname.slice(1));
      assert.match(rows[0].db, /^test_users_\d+_[0-9a-f]{8}$/);
      await client.query('CREATE TABLE mine (id int)'); // the owner may create tables
      const superuser = await client.query('SELECT rolsuper FROM pg_roles WHERE rolname = current_user');
      assert.equal(superuser.rows[0].rolsuper, false);
    } finally {
      await client.end();
    }
    const { redisUrl } = await getTestServices();
    assert.match(redisUrl, /^redis:\/\/127\.0\.0\.1:\d+$/);
  });

  test('a file run on its own starts its own servers and stops them when it ends', async () => {
    const env = { ...process.env };
    delete env.TWOFOLD_TEST_DATABASE_URL;
    delete env.TWOFOLD_TEST_REDIS_URL;
    delete env.NODE_TEST_CONTEXT; // else the nested `node --test` reports to us instead of running
    const fixture = path.join(import.meta.dirname, 'fixtures', 'own-services.fixture.ts');
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--test', fixture], {
      cwd: repoRoot,
      env,
      timeout: 90_000,
    });
    const line = stdout.split('\n').find((text) => text.includes('OWN_SERVICES '));
    assert.ok(line, `the fixture reported its servers:\n${stdout}`);
    const { pids, dataDirs } = JSON.parse(line.slice(line.indexOf('OWN_SERVICES ') + 13)) as {
      pids: number[];
      dataDirs: string[];
    };
    assert.ok(pids.length >= 2, 'PostgreSQL and Redis (and their workers) were running');
    assert.deepEqual(
      pids.filter((pid) => isAlive(pid)),
      [],
    );
    assert.equal(dataDirs.length, 1);
    await assert.rejects(
      stat(dataDirs[0] as string),
      { code: 'ENOENT' },
      'the temporary directory is removed',
    );
  });
});
