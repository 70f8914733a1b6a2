import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { buildTestApp } from '../helpers/build-app.ts';
import {
  enrolledUser,
  expectError,
  expectStatus,
  PASSWORD,
  TestClient,
  totpCode,
} from '../helpers/client.ts';

describe('the account page API', async () => {
  const app = await buildTestApp({ after });

  async function secondBrowser(username: string, secret: string, atMs = Date.now()) {
    const other = new TestClient(app);
    expectStatus(await other.post('/api/v1/login', { username, password: PASSWORD }), 200);
    expectStatus(await other.post('/api/v1/login/totp', { code: await totpCode(secret, atMs) }), 200);
    return other;
  }

  it('never lets a session replace a confirmed authenticator through enrolment', async () => {
    // An attacker with the password logs in before the victim enrols, and keeps that session.
    const username = `stale${Date.now()}`;
    const attacker = new TestClient(app);
    expectStatus(await attacker.post('/api/v1/register', { username, password: PASSWORD }), 201);
    expectStatus(await attacker.post('/api/v1/login', { username, password: PASSWORD }), 200);
    const victim = new TestClient(app);
    expectStatus(await victim.post('/api/v1/login', { username, password: PASSWORD }), 200);
    const { secret } = expectStatus(await victim.post('/api/v1/totp/enroll'), 200).json();
    expectStatus(await victim.post('/api/v1/totp/confirm', { code: await totpCode(secret) }), 200);
    const stale = await attacker.post('/api/v1/totp/enroll');
    assert.equal(stale.statusCode, 403);
    assert.equal(stale.json().error.code, 'factor_exists');
    assert.equal(
      (await victim.post('/api/v1/totp/enroll')).statusCode,
      403,
      'not even from an authenticated session',
    );
  });

  it('refuses state changes a browser marks as coming from another site', async () => {
    const { client } = await enrolledUser(app);
    const foreign: Array<Record<string, string>> = [
      { 'sec-fetch-site': 'same-site' },
      { 'sec-fetch-site': 'cross-site' },
      { origin: 'http://evil.example' },
      { origin: 'null' },
    ];
    for (const headers of foreign) {
      const response = await client.request('POST', '/api/v1/logout', {}, headers);
      assert.equal(response.statusCode, 403, JSON.stringify(headers));
      assert.equal(response.json().error.code, 'cross_site_request');
    }
    expectStatus(await client.get('/api/v1/me'), 200);
    const same = await client.request(
      'POST',
      '/api/v1/logout',
      {},
      { 'sec-fetch-site': 'same-origin', origin: 'http://localhost:80' },
    );
    assert.equal(same.statusCode, 204);
  });

  it("lists the user's sessions and ends another one", async () => {
    const { client, username, secret } = await enrolledUser(app);
    const other = await secondBrowser(username, secret);
    const { sessions } = expectStatus(await client.get('/api/v1/me/sessions'), 200).json();
    assert.equal(sessions.length, 2);
    assert.equal(sessions.filter((s: { current: boolean }) => s.current).length, 1);
    assert.ok(sessions.every((s: { id: string; ip: string }) => s.id.length === 22 && s.ip === '127.0.0.1'));
    const otherSessionId = String(other.cookie).split('.')[0] as string;
    assert.ok(!JSON.stringify(sessions).includes(otherSessionId), 'no session id is shown');
    const target = sessions.find((s: { current: boolean }) => !s.current);
    assert.equal((await client.request('DELETE', `/api/v1/me/sessions/${target.id}`)).statusCode, 204);
    assert.equal((await other.get('/api/v1/me')).statusCode, 401, 'the other browser is signed out');
    expectError(await client.request('DELETE', `/api/v1/me/sessions/${target.id}`), 404, 'not_found');
    expectStatus(await client.get('/api/v1/me'), 200);
  });

  it('changes the password only with the current password and a second factor, and ends other sessions', async () => {
    const { client, username, secret, recoveryCodes } = await enrolledUser(app);
    const other = await secondBrowser(username, secret);
    const change = (body: Record<string, string>) => client.post('/api/v1/me/password', body);
    const newPassword = 'a brand new password';
    expectError(
      await change({ currentPassword: 'wrong one!!', newPassword, code: recoveryCodes[0] as string }),
      401,
      'invalid_credentials',
    );
    expectError(
      await change({ currentPassword: PASSWORD, newPassword, code: '000000' }),
      401,
      'invalid_code',
    );
    expectError(
      await change({ currentPassword: PASSWORD, newPassword: 'short', code: '000000' }),
      400,
      'invalid_request',
    );
    const before = client.cookie;
    expectStatus(
      await change({ currentPassword: PASSWORD, newPassword, code: recoveryCodes[0] as string }),
      204,
    );
    assert.notEqual(client.cookie, before, 'the session id is regenerated');
    assert.equal((await other.get('/api/v1/me')).statusCode, 401, 'other sessions ended');
    expectStatus(await client.get('/api/v1/me'), 200);
    expectError(
      await new TestClient(app).post('/api/v1/login', { username, password: PASSWORD }),
      401,
      'invalid_credentials',
    );
    expectStatus(await new TestClient(app).post('/api/v1/login', { username, password: newPassword }), 200);
  });

  it('regenerates recovery codes only with a code from the app: the old ones stop working', async () => {
    const { client, username, secret, recoveryCodes } = await enrolledUser(app);
    assert.equal(
      (await client.post('/api/v1/me/recovery-codes')).statusCode,
      400,
      'a session alone is not enough',
    );
    expectError(await client.post('/api/v1/me/recovery-codes', { code: '000000' }), 401, 'invalid_code');
    const fresh = expectStatus(
      await client.post('/api/v1/me/recovery-codes', { code: await totpCode(secret) }),
      200,
    ).json().recoveryCodes;
    assert.equal(fresh.length, 10);
    const login = new TestClient(app);
    await login.post('/api/v1/login', { username, password: PASSWORD });
    expectError(await login.post('/api/v1/login/recovery', { code: recoveryCodes[0] }), 401, 'invalid_code');
    expectStatus(await login.post('/api/v1/login/recovery', { code: fresh[0] }), 200);
  });

  it('removes the authenticator with password and code, ends other sessions; the user must enrol again', async () => {
    const { client, username, secret } = await enrolledUser(app);
    const other = await secondBrowser(username, secret);
    assert.equal((await client.post('/api/v1/me/totp/remove', { password: PASSWORD })).statusCode, 400);
    const wrongPassword = await client.post('/api/v1/me/totp/remove', {
      password: 'not it at all',
      code: '000000',
    });
    expectError(wrongPassword, 401, 'invalid_credentials');
    expectError(
      await client.post('/api/v1/me/totp/remove', { password: PASSWORD, code: '000000' }),
      401,
      'invalid_code',
    );
    const code = await totpCode(secret, Date.now() + 30_000);
    const removed = expectStatus(
      await client.post('/api/v1/me/totp/remove', { password: PASSWORD, code }),
      200,
    ).json();
    assert.equal((await other.get('/api/v1/me')).statusCode, 401, 'other sessions end with the factor');
    assert.equal(removed.state, 'enrollment_required');
    assert.equal((await client.get('/api/v1/me')).statusCode, 403);
    const again = await new TestClient(app).post('/api/v1/login', { username, password: PASSWORD });
    assert.deepEqual(again.json(), { state: 'enrollment_required' });
    const { rows } = await app.db.query(
      `SELECT step, result, detail FROM audit_events
       WHERE user_id = (SELECT id FROM users WHERE username = $1) ORDER BY id DESC LIMIT 2`,
      [username],
    );
    assert.deepEqual(
      rows.map((r) => [r.step, r.result, r.detail]),
      [
        ['password', 'success', null],
        ['factor-removed', 'success', { factor: 'totp', endedSessions: 1 }],
      ],
    );
  });
});
