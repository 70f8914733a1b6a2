import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, testConfig } from '../helpers/build-app.ts';
import { expectStatus, PASSWORD, TestClient, uniqueUsername } from '../helpers/client.ts';

async function storedHash(app: FastifyInstance, username: string): Promise<string> {
  const { rows } = await app.db.query<{ password_hash: string }>(
    'SELECT password_hash FROM users WHERE username = $1',
    [username],
  );
  assert.equal(rows.length, 1);
  return (rows[0] as { password_hash: string }).password_hash;
}

describe('argon2 parameters that rise', () => {
  it('a hash made with lower parameters is redone at the next successful login, not at a failed one', async (t: TestContext) => {
    const config = await testConfig();
    const before = await buildTestApp(t, {
      ...config,
      argon2: { memoryKiB: 19_456, timeCost: 2, parallelism: 1 },
    });
    const username = uniqueUsername();
    expectStatus(
      await new TestClient(before).post('/api/v1/register', { username, password: PASSWORD }),
      201,
    );
    const old = await storedHash(before, username);
    assert.match(old, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);

    // The operator raises the cost; replicas restart with it.
    const risen = await buildTestApp(t, {
      ...config,
      argon2: { memoryKiB: 20_480, timeCost: 3, parallelism: 2 },
    });
    const wrong = await new TestClient(risen).post('/api/v1/login', {
      username,
      password: 'not the password',
    });
    assert.equal(wrong.statusCode, 401);
    assert.equal(await storedHash(risen, username), old, 'a failed login changes nothing');

    expectStatus(await new TestClient(risen).post('/api/v1/login', { username, password: PASSWORD }), 200);
    const redone = await storedHash(risen, username);
    assert.match(redone, /^\$argon2id\$v=19\$m=20480,t=3,p=2\$/);

    // The new hash verifies the same password, and is left alone at the next login.
    expectStatus(await new TestClient(risen).post('/api/v1/login', { username, password: PASSWORD }), 200);
    assert.equal(await storedHash(risen, username), redone);
  });
});
