import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { buildTestApp } from '../helpers/build-app.ts';
import {
  enrolledUser,
  expectStatus,
  PASSWORD,
  TestClient,
  totpCode,
  uniqueUsername,
} from '../helpers/client.ts';

describe('register, enrol TOTP, log in with password + TOTP', async () => {
  const app = await buildTestApp({ after });

  it('registers a user and refuses the same name twice, whatever its case', async () => {
    const client = new TestClient(app);
    const username = uniqueUsername('Reg');
    const created = expectStatus(
      await client.post('/api/v1/register', { username, password: PASSWORD, email: 'r@example.org' }),
      201,
    );
    assert.equal(created.json().user.username, username);
    assert.match(created.json().user.id, /^[0-9a-f-]{36}$/);
    const again = await client.post('/api/v1/register', {
      username: username.toLowerCase(),
      password: PASSWORD,
    });
    assert.equal(again.statusCode, 409);
    assert.equal(again.json().error.code, 'username_taken');
    assert.equal(client.cookie, undefined, 'registration alone opens no session');
  });

  it('walks the whole flow: enrolment required, QR, confirm, recovery codes, /me, then a fresh login', async () => {
    const client = new TestClient(app);
    const username = uniqueUsername();
    expectStatus(await client.post('/api/v1/register', { username, password: PASSWORD }), 201);
    const login = expectStatus(await client.post('/api/v1/login', { username, password: PASSWORD }), 200);
    assert.deepEqual(login.json(), { state: 'enrollment_required' });
    assert.equal(expectStatus(await client.get('/api/v1/session'), 200).json().state, 'enrollment_required');
    assert.equal((await client.get('/api/v1/me')).statusCode, 403, 'nothing else before enrolment');

    const enrol = expectStatus(await client.post('/api/v1/totp/enroll'), 200).json();
    assert.match(enrol.secret, /^[A-Z2-7]{32}$/);
    assert.ok(enrol.otpauthUri.startsWith(`otpauth://totp/Twofold:${username}?`));
    assert.ok(enrol.qrSvg.startsWith('<svg'));
    assert.equal(
      (await client.post('/api/v1/totp/confirm', { code: '000000' })).json().error.code,
      'invalid_code',
    );

    const sessionBefore = client.cookie;
    const confirm = expectStatus(
      await client.post('/api/v1/totp/confirm', { code: await totpCode(enrol.secret) }),
      200,
    ).json();
    assert.equal(confirm.state, 'authenticated');
    assert.equal(confirm.recoveryCodes.length, 10);
    assert.notEqual(client.cookie, sessionBefore, 'session id regenerated after the factor');

    const me = expectStatus(await client.get('/api/v1/me'), 200).json();
    assert.equal(me.user.username, username);
    assert.deepEqual(me.user.factors, ['totp', 'recovery']);
    assert.equal(me.user.recoveryCodesRemaining, 10);

    const fresh = new TestClient(app);
    const second = expectStatus(
      await fresh.post('/api/v1/login', { username, password: PASSWORD }),
      200,
    ).json();
    assert.deepEqual(second, { state: 'mfa_required', factors: ['totp', 'recovery'] });
    assert.equal((await fresh.get('/api/v1/me')).statusCode, 403);
    assert.equal(
      (await fresh.post('/api/v1/totp/enroll')).statusCode,
      403,
      'a password alone cannot replace the factor',
    );
    const passwordSession = fresh.cookie;
    const next = await totpCode(enrol.secret, Date.now() + 30_000);
    expectStatus(await fresh.post('/api/v1/login/totp', { code: next }), 200);
    assert.notEqual(fresh.cookie, passwordSession);
    assert.equal(expectStatus(await fresh.get('/api/v1/session'), 200).json().state, 'authenticated');
  });

  it('gives the same answer for an unknown user and a wrong password', async () => {
    const { username } = await enrolledUser(app);
    const wrong = await new TestClient(app).post('/api/v1/login', { username, password: 'not the password' });
    const unknown = await new TestClient(app).post('/api/v1/login', {
      username: uniqueUsername('ghost'),
      password: PASSWORD,
    });
    assert.equal(wrong.statusCode, 401);
    assert.deepEqual(wrong.json(), unknown.json());
    assert.equal(wrong.json().error.code, 'invalid_credentials');
  });

  it('refuses a replayed TOTP code and a wrong one', async () => {
    const { username, secret } = await enrolledUser(app);
    const code = await totpCode(secret);
    const first = new TestClient(app);
    expectStatus(await first.post('/api/v1/login', { username, password: PASSWORD }), 200);
    expectStatus(await first.post('/api/v1/login/totp', { code }), 200);

    const replay = new TestClient(app);
    expectStatus(await replay.post('/api/v1/login', { username, password: PASSWORD }), 200);
    const replayed = await replay.post('/api/v1/login/totp', { code });
    assert.equal(replayed.statusCode, 401);
    assert.equal(replayed.json().error.code, 'invalid_code');
    const wrong = await replay.post('/api/v1/login/totp', { code: code === '123456' ? '654321' : '123456' });
    assert.equal(wrong.statusCode, 401);
    assert.equal(expectStatus(await replay.get('/api/v1/session'), 200).json().state, 'password_verified');
  });

  it('lets each recovery code in exactly once', async () => {
    const { username, recoveryCodes } = await enrolledUser(app);
    const [code] = recoveryCodes as [string];
    const client = new TestClient(app);
    expectStatus(await client.post('/api/v1/login', { username, password: PASSWORD }), 200);
    expectStatus(await client.post('/api/v1/login/recovery', { code: code.toUpperCase() }), 200);
    assert.equal(expectStatus(await client.get('/api/v1/me'), 200).json().user.recoveryCodesRemaining, 9);

    const again = new TestClient(app);
    expectStatus(await again.post('/api/v1/login', { username, password: PASSWORD }), 200);
    assert.equal((await again.post('/api/v1/login/recovery', { code })).statusCode, 401);
  });

  it('logs out: the session is gone on the server, not just the cookie', async () => {
    const { client } = await enrolledUser(app);
    const stolenCookie = client.cookie;
    assert.equal((await client.post('/api/v1/logout')).statusCode, 204);
    const thief = new TestClient(app);
    thief.cookie = stolenCookie;
    assert.equal((await thief.get('/api/v1/me')).statusCode, 401);
    assert.equal((await thief.get('/api/v1/session')).statusCode, 401);
    assert.equal(
      (await new TestClient(app).post('/api/v1/logout')).statusCode,
      204,
      'logout without a session is fine',
    );
  });

  it('answers /auth/verify with Remote-User only for a fully authenticated session', async () => {
    const { client, username } = await enrolledUser(app);
    const ok = await client.get('/auth/verify');
    assert.equal(ok.statusCode, 200);
    assert.equal(ok.headers['remote-user'], username);
    const halfway = new TestClient(app);
    expectStatus(await halfway.post('/api/v1/login', { username, password: PASSWORD }), 200);
    assert.equal((await halfway.get('/auth/verify')).statusCode, 401);
    assert.equal((await new TestClient(app).get('/auth/verify')).statusCode, 401);
  });

  it('sets the session cookie HttpOnly and SameSite=Lax', async () => {
    const client = new TestClient(app);
    const username = uniqueUsername();
    expectStatus(await client.post('/api/v1/register', { username, password: PASSWORD }), 201);
    const login = await client.post('/api/v1/login', { username, password: PASSWORD });
    const header = String(login.headers['set-cookie']);
    assert.match(header, /^twofold_sid=/);
    assert.match(header, /HttpOnly/);
    assert.match(header, /SameSite=Lax/);
  });
});
