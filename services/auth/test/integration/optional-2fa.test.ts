import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { buildTestApp, testConfig } from '../helpers/build-app.ts';
import {
  enrolledUser,
  expectStatus,
  PASSWORD,
  TestClient,
  totpCode,
  uniqueUsername,
} from '../helpers/client.ts';

describe('TWOFOLD_REQUIRE_2FA=false', async () => {
  const config = await testConfig();
  const app = await buildTestApp({ after }, { ...config, require2fa: false });

  it('lets a user without a second factor in with the password alone', async () => {
    const client = new TestClient(app);
    const username = uniqueUsername();
    expectStatus(await client.post('/api/v1/register', { username, password: PASSWORD }), 201);
    const login = expectStatus(await client.post('/api/v1/login', { username, password: PASSWORD }), 200);
    assert.deepEqual(login.json(), { state: 'authenticated' });
    assert.equal(expectStatus(await client.get('/api/v1/session'), 200).json().state, 'authenticated');
    const me = expectStatus(await client.get('/api/v1/me'), 200).json();
    assert.deepEqual([me.user.username, me.user.factors], [username, []]);
    const verify = expectStatus(await client.get('/auth/verify'), 200);
    assert.equal(verify.headers['remote-user'], username);
    // A wrong password still gets nowhere.
    const wrong = await new TestClient(app).post('/api/v1/login', { username, password: 'not the password' });
    assert.equal(wrong.statusCode, 401);
    assert.equal(wrong.json().error.code, 'invalid_credentials');
  });

  it('still asks a user with a second factor for it', async () => {
    const { username, secret } = await enrolledUser(app);
    const client = new TestClient(app);
    const login = expectStatus(await client.post('/api/v1/login', { username, password: PASSWORD }), 200);
    assert.equal(login.json().state, 'mfa_required');
    assert.equal(expectStatus(await client.get('/api/v1/session'), 200).json().state, 'password_verified');
    const me = await client.get('/api/v1/me');
    assert.equal(me.statusCode, 403);
    assert.equal((await client.get('/auth/verify')).statusCode, 401);
    expectStatus(await client.post('/api/v1/login/totp', { code: await totpCode(secret) }), 200);
    expectStatus(await client.get('/api/v1/me'), 200);
  });

  it('lets an authenticated user without a factor enrol one, after which it is required', async () => {
    const client = new TestClient(app);
    const username = uniqueUsername();
    expectStatus(await client.post('/api/v1/register', { username, password: PASSWORD }), 201);
    expectStatus(await client.post('/api/v1/login', { username, password: PASSWORD }), 200);
    const { secret } = expectStatus(await client.post('/api/v1/totp/enroll'), 200).json();
    expectStatus(await client.post('/api/v1/totp/confirm', { code: await totpCode(secret) }), 200);
    const again = expectStatus(
      await new TestClient(app).post('/api/v1/login', { username, password: PASSWORD }),
      200,
    );
    assert.equal(again.json().state, 'mfa_required');
  });
});
