import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it, type TestContext } from 'node:test';
import pg from 'pg';
import { createTestDatabase } from '../../../../test/support/services.ts';
import { buildTestApp, testConfig } from '../helpers/build-app.ts';
import { enrolledUser, expectStatus, PASSWORD, TestClient, totpCode } from '../helpers/client.ts';

const PG_DUMP = '/usr/lib/postgresql/15/bin/pg_dump';

describe('secrets at rest', () => {
  it('a dump of the database holds no TOTP secret, password or recovery code in clear', async (t: TestContext) => {
    const databaseUrl = await createTestDatabase();
    const app = await buildTestApp(t, await testConfig({}, databaseUrl));
    const users = await Promise.all([enrolledUser(app), enrolledUser(app)]);
    const dump = execFileSync(PG_DUMP, ['--data-only', '--inserts', databaseUrl], {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    assert.ok(dump.includes(users[0]?.username as string), 'the dump is of the right database');
    for (const user of users) {
      const rawSecret = Buffer.from(base32Decode(user.secret));
      for (const needle of [
        user.secret,
        user.secret.toLowerCase(),
        rawSecret.toString('hex'),
        rawSecret.toString('base64'),
        PASSWORD,
      ]) {
        assert.ok(!dump.includes(needle), `found ${needle.slice(0, 6)}… in the dump`);
      }
      for (const code of user.recoveryCodes)
        assert.ok(!dump.includes(code) && !dump.includes(code.replace('-', '')));
    }
    assert.match(dump, /\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });

  it("a TOTP ciphertext copied into another user's row does not decrypt (refused, not a 500)", async (t: TestContext) => {
    const databaseUrl = await createTestDatabase();
    const app = await buildTestApp(t, await testConfig({}, databaseUrl));
    const victim = await enrolledUser(app);
    const attacker = await enrolledUser(app);
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    t.after(() => db.end());
    await db.query(
      `UPDATE totp_credentials SET secret_envelope = (
         SELECT t.secret_envelope FROM totp_credentials t JOIN users u ON u.id = t.user_id WHERE u.username = $1)
       WHERE user_id = (SELECT id FROM users WHERE username = $2)`,
      [attacker.username, victim.username],
    );
    const client = new TestClient(app);
    expectStatus(await client.post('/api/v1/login', { username: victim.username, password: PASSWORD }), 200);
    const withAttackerCode = await client.post('/api/v1/login/totp', {
      code: await totpCode(attacker.secret),
    });
    assert.equal(withAttackerCode.statusCode, 401);
    assert.equal(withAttackerCode.json().error.code, 'invalid_code');
  });
});

function base32Decode(input: string): Uint8Array {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const char of input) {
    value = (value << 5) | alphabet.indexOf(char);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return new Uint8Array(out);
}
