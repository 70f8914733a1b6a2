// Issue 9 §5: passwords as NIST SP 800-63B asks: a password from a list of common and breached
// ones, or one holding the username, is refused at registration and at a password change.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { buildTestApp } from '../helpers/build-app.ts';
import {
  enrolledUser,
  expectStatus,
  PASSWORD,
  TestClient,
  totpCode,
  uniqueUsername,
} from '../helpers/client.ts';

const COMMON = ['1234567890', 'qwertyuiop', 'password123', 'PassWord123', 'iloveyou12', 'aaaaaaaaaaaa'];

describe('weak passwords', () => {
  it('are refused at registration with 400 weak_password, and the account is not created', async (t: TestContext) => {
    const app = await buildTestApp(t);
    const client = new TestClient(app);
    for (const password of COMMON) {
      const username = uniqueUsername('weak');
      const refused = await client.post('/api/v1/register', { username, password });
      assert.equal(refused.statusCode, 400, password);
      assert.equal(refused.json().error.code, 'weak_password', password);
      assert.equal((await client.post('/api/v1/login', { username, password })).statusCode, 401);
    }
    const username = uniqueUsername('Named');
    const withName = await client.post('/api/v1/register', {
      username,
      password: `my ${username.toUpperCase()} pass`,
    });
    assert.equal(withName.json().error.code, 'weak_password');
    assert.match(withName.json().error.message, /username/);
    const short = await client.post('/api/v1/register', { username, password: 'short' });
    assert.equal(short.json().error.code, 'invalid_request', 'a length problem keeps its code');
    assert.equal((await client.post('/api/v1/register', { username, password: PASSWORD })).statusCode, 201);
  });

  it('are refused at a password change, and the old password still works', async (t: TestContext) => {
    const app = await buildTestApp(t);
    const { client, username, secret } = await enrolledUser(app);
    const change = async (newPassword: string, atMs: number) =>
      client.post('/api/v1/me/password', {
        currentPassword: PASSWORD,
        newPassword,
        code: await totpCode(secret, atMs),
      });
    const common = await change('password123', Date.now() + 30_000);
    assert.equal(common.statusCode, 400);
    assert.equal(common.json().error.code, 'weak_password');
    const named = await change(`${username}-2026`, Date.now() + 30_000);
    assert.equal(named.json().error.code, 'weak_password');
    expectStatus(await new TestClient(app).post('/api/v1/login', { username, password: PASSWORD }), 200);
  });
});
