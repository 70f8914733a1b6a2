import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import bcrypt from 'bcryptjs';
import pg from 'pg';
import { createTestDatabase } from '../../../../test/support/services.ts';
import { liftBans, listBans } from '../../src/admin/bans.ts';
import { importUsers, parseImport } from '../../src/admin/user-import.ts';
import { buildTestApp, testConfig } from '../helpers/build-app.ts';
import { expectStatus, TestClient, uniqueUsername } from '../helpers/client.ts';

describe('operator tools', () => {
  it('imports bcrypt users from CSV and JSON; they log in with the old password and are rehashed to argon2id', async (t: TestContext) => {
    const databaseUrl = await createTestDatabase();
    const app = await buildTestApp(t, await testConfig({}, databaseUrl));
    const [alice, bob, carol] = [uniqueUsername('alice'), uniqueUsername('bob'), uniqueUsername('carol')];
    const hash = (password: string) => bcrypt.hashSync(password, 8);
    const csv = `username,email,password_hash
${alice},alice@example.org,${hash('alice old password')}
${bob},,${hash('bob old password')}
bad name,,${hash('x')}
${uniqueUsername('dave')},,md5:5f4dcc3b5aa765d61d8327deb882cf99
`;
    const report = await importUsers(app.users, parseImport(csv));
    assert.equal(report.imported, 2);
    assert.deepEqual(
      report.invalid.map((i) => i.line),
      [4, 5],
    );
    const json = JSON.stringify([
      { username: carol, passwordHash: hash('carol old password') },
      { username: alice, passwordHash: hash('other') },
    ]);
    const second = await importUsers(app.users, parseImport(json));
    assert.equal(second.imported, 1);
    assert.deepEqual(second.skippedExisting, [alice], 'an existing user is never overwritten');

    assert.equal(
      (await new TestClient(app).post('/api/v1/login', { username: alice, password: 'wrong password!' }))
        .statusCode,
      401,
    );
    const login = expectStatus(
      await new TestClient(app).post('/api/v1/login', { username: alice, password: 'alice old password' }),
      200,
    );
    assert.equal(login.json().state, 'enrollment_required', 'an imported user must enrol a second factor');
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    t.after(() => db.end());
    const { rows } = await db.query('SELECT password_hash FROM users WHERE username = $1', [alice]);
    assert.match(rows[0].password_hash, /^\$argon2id\$/, 'rehashed at the first successful login');
    expectStatus(
      await new TestClient(app).post('/api/v1/login', { username: alice, password: 'alice old password' }),
      200,
    );
    const bobHash = await db.query('SELECT password_hash FROM users WHERE username = $1', [bob]);
    assert.match(bobHash.rows[0].password_hash, /^\$2[aby]\$/, 'untouched until that user logs in');
  });

  it('lists the locks in force and lifts them', async (t: TestContext) => {
    const config = await testConfig();
    const app = await buildTestApp(t, { ...config, limits: { ...config.limits, passwordFailures: 2 } });
    const username = uniqueUsername('locked');
    expectStatus(
      await new TestClient(app).post('/api/v1/register', { username, password: 'a good long password' }),
      201,
    );
    for (let i = 0; i < 3; i += 1)
      await new TestClient(app).post('/api/v1/login', { username, password: 'nope nope nope' });
    assert.equal(
      (await new TestClient(app).post('/api/v1/login', { username, password: 'a good long password' }))
        .statusCode,
      429,
    );
    const bans = await listBans(app.redis, config.redisKeyPrefix, { password: 2 }, 5);
    const mine = bans.find((ban) => ban.subject === username.toLowerCase());
    assert.equal(mine?.scope, 'password');
    assert.ok((mine?.secondsLeft ?? 0) > 0);
    assert.ok((await liftBans(app.redis, config.redisKeyPrefix, username.toLowerCase())) >= 1);
    expectStatus(
      await new TestClient(app).post('/api/v1/login', { username, password: 'a good long password' }),
      200,
    );
  });
});
