import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it, type TestContext } from 'node:test';
import { PasswordHasher } from '../../services/auth/src/lib/passwords.ts';
import { buildTestApp, testConfig } from '../../services/auth/test/helpers/build-app.ts';
import { expectStatus, PASSWORD, TestClient } from '../../services/auth/test/helpers/client.ts';
import { Database } from '../../services/common/src/database.ts';
import { createPgPool } from '../../services/common/src/pg-pool.ts';
import { SecretBox } from '../../services/common/src/secret-box.ts';
import { totpCode } from '../../test/support/totp-codes.ts';
import { seedUsers } from '../seed-insert.ts';
import { type Seed, seededPassword, seededUser, seededUsername } from '../seeded-users.ts';

const SEED: Seed = { name: 'test', key: randomBytes(32) };

describe('loadtest/seed', () => {
  it('seeds users who log in with the shared password and their own TOTP code, and re-runs insert only what is missing', async (t: TestContext) => {
    const config = await testConfig();
    const app = await buildTestApp(t, config);
    const pool = createPgPool({ connectionString: config.databaseUrl, applicationName: 'seed-test' });
    t.after(() => pool.end());
    const seed = {
      db: new Database(pool, 5_000),
      box: new SecretBox(config.encryptionKeys),
      passwordHash: await new PasswordHasher(config.argon2).hash(seededPassword(SEED)),
      seed: SEED,
      batchSize: 2,
    };

    const first = await seedUsers({ ...seed, count: 5 });
    assert.deepEqual([first.inserted, first.skipped], [5, 0]);
    const again = await seedUsers({ ...seed, count: 5 });
    assert.deepEqual([again.inserted, again.skipped], [0, 5]);

    // A name someone registered by hand stays theirs, and gets no credential of ours.
    const squatter = new TestClient(app);
    const taken = seededUsername(SEED.name, 6);
    expectStatus(await squatter.post('/api/v1/register', { username: taken, password: PASSWORD }), 201);
    const more = await seedUsers({ ...seed, count: 7 });
    assert.deepEqual([more.inserted, more.skipped], [1, 6]);
    const { rows } = await pool.query(
      'SELECT count(*)::int AS n FROM totp_credentials c JOIN users u ON u.id = c.user_id WHERE u.username = $1',
      [taken],
    );
    assert.equal(rows[0].n, 0);

    const user = seededUser(SEED, 5);
    const client = new TestClient(app);
    const login = expectStatus(
      await client.post('/api/v1/login', { username: user.username, password: user.password }),
      200,
    );
    assert.equal(login.json().state, 'mfa_required');
    const code = await client.post('/api/v1/login/totp', { code: await totpCode(user.totpSecret) });
    assert.equal(expectStatus(code, 200).json().state, 'authenticated');
  });
});
