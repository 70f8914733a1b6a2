import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, testConfig } from '../helpers/build-app.ts';
import {
  type EnrolledUser,
  enrolledUser,
  expectStatus,
  PASSWORD,
  TestClient,
  totpCode,
} from '../helpers/client.ts';
import { TestPhone } from '../helpers/test-phone.ts';

interface AuditRow {
  step: string;
  result: string;
  user_id: string | null;
  username: string | null;
  ip: string | null;
  request_id: string | null;
  detail: Record<string, unknown> | null;
}

/** The audit rows written since `sinceId`, oldest first. */
async function eventsSince(app: FastifyInstance, sinceId: number): Promise<AuditRow[]> {
  const { rows } = await app.db.query<AuditRow>(
    `SELECT step, result, user_id, username, ip, request_id, detail FROM audit_events
     WHERE id > $1 ORDER BY id`,
    [sinceId],
  );
  return rows;
}

async function lastId(app: FastifyInstance): Promise<number> {
  const { rows } = await app.db.query<{ id: string | null }>('SELECT max(id) AS id FROM audit_events');
  return Number(rows[0]?.id ?? 0);
}

async function userId(user: EnrolledUser): Promise<string> {
  return expectStatus(await user.client.get('/api/v1/me'), 200).json().user.id;
}

/** The newest entries of the user's own activity page, as step:result. */
async function activity(client: TestClient, count: number): Promise<string[]> {
  const { events } = expectStatus(await client.get('/api/v1/me/activity'), 200).json();
  return events.slice(0, count).map((e: { step: string; result: string }) => `${e.step}:${e.result}`);
}

describe('audit events', async () => {
  const config = await testConfig();
  const app = await buildTestApp({ after }, config);

  it('password change: password-change success, with the factor used and the sessions ended', async () => {
    const user = await enrolledUser(app);
    const id = await userId(user);
    const other = new TestClient(app);
    expectStatus(await other.post('/api/v1/login', { username: user.username, password: PASSWORD }), 200);
    const since = await lastId(app);
    expectStatus(
      await user.client.post('/api/v1/me/password', {
        currentPassword: PASSWORD,
        newPassword: 'another good password',
        code: user.recoveryCodes.pop(),
      }),
      204,
    );
    const rows = await eventsSince(app, since);
    assert.deepEqual(
      rows.map((r) => [r.step, r.result, r.user_id, r.username, r.ip, r.detail]),
      [
        [
          'password-change',
          'success',
          id,
          user.username,
          '127.0.0.1',
          { secondFactor: 'recovery', endedSessions: 1 },
        ],
      ],
    );
    assert.deepEqual(await activity(user.client, 1), ['password-change:success']);
  });

  it('factor removal: factor-removed success', async () => {
    const user = await enrolledUser(app);
    const id = await userId(user);
    const since = await lastId(app);
    expectStatus(
      await user.client.post('/api/v1/me/totp/remove', {
        password: PASSWORD,
        code: user.recoveryCodes.pop(),
      }),
      200,
    );
    const rows = await eventsSince(app, since);
    assert.deepEqual(
      rows.map((r) => [r.step, r.result, r.user_id, r.detail]),
      [['factor-removed', 'success', id, { factor: 'totp', endedSessions: 0 }]],
    );
  });

  it('lockouts: password locked (by account) and totp locked', async () => {
    const user = await enrolledUser(app);
    const id = await userId(user);
    const since = await lastId(app);
    const browser = new TestClient(app);
    expectStatus(await browser.post('/api/v1/login', { username: user.username, password: PASSWORD }), 200);
    const wrong = (await totpCode(user.secret)) === '000000' ? '111111' : '000000';
    for (let i = 0; i < config.limits.secondFactorFailures; i += 1)
      assert.equal((await browser.post('/api/v1/login/totp', { code: wrong })).statusCode, 401);
    assert.equal((await browser.post('/api/v1/login/totp', { code: wrong })).statusCode, 429);
    const totpRows = (await eventsSince(app, since)).filter((r) => r.step === 'totp');
    assert.deepEqual(
      totpRows.map((r) => `${r.result}:${r.user_id}`),
      [...Array.from({ length: config.limits.secondFactorFailures }, () => `failure:${id}`), `locked:${id}`],
    );
    assert.deepEqual(await activity(user.client, 2), ['totp:locked', 'totp:failure']);
  });

  it('a password lockout names the account and says it was the account budget', async (t) => {
    const small = await testConfig();
    const limited = await buildTestApp(t, { ...small, limits: { ...small.limits, passwordFailures: 2 } });
    const user = await enrolledUser(limited);
    const since = await lastId(limited);
    for (let i = 0; i < 2; i += 1)
      await new TestClient(limited).post('/api/v1/login', {
        username: user.username,
        password: 'bad guess 123',
      });
    const locked = await new TestClient(limited).post('/api/v1/login', {
      username: user.username,
      password: PASSWORD,
    });
    assert.equal(locked.statusCode, 429);
    const rows = await eventsSince(limited, since);
    assert.deepEqual(
      rows.map((r) => [r.step, r.result, r.username?.toLowerCase(), r.detail]),
      [
        ['password', 'failure', user.username.toLowerCase(), { reason: 'wrong_password' }],
        ['password', 'failure', user.username.toLowerCase(), { reason: 'wrong_password' }],
        [
          'password',
          'locked',
          user.username.toLowerCase(),
          // Answered with a proof-of-work challenge, since this attempt brought no solution.
          { byAccount: true, byIp: false, trustedDevice: false, challenge: 'missing' },
        ],
      ],
    );
  });

  it('a step-up lockout on the account page is recorded as locked', async () => {
    const user = await enrolledUser(app);
    const id = await userId(user);
    const since = await lastId(app);
    for (let i = 0; i < config.limits.secondFactorFailures; i += 1)
      await user.client.post('/api/v1/me/password', {
        currentPassword: 'not the password',
        newPassword: 'another good password',
        code: '000000',
      });
    const locked = await user.client.post('/api/v1/me/password', {
      currentPassword: PASSWORD,
      newPassword: 'another good password',
      code: user.recoveryCodes.pop(),
    });
    assert.equal(locked.statusCode, 429);
    const rows = await eventsSince(app, since);
    assert.deepEqual(
      rows.filter((r) => r.result === 'locked').map((r) => [r.step, r.user_id]),
      [['password-change', id]],
    );
    assert.deepEqual(await activity(user.client, 1), ['password-change:locked']);
  });

  it('logout and ending another session: logout success each', async () => {
    const user = await enrolledUser(app);
    const id = await userId(user);
    const other = new TestClient(app);
    expectStatus(await other.post('/api/v1/login', { username: user.username, password: PASSWORD }), 200);
    const { sessions } = expectStatus(await user.client.get('/api/v1/me/sessions'), 200).json();
    const otherId = sessions.find((s: { current: boolean }) => !s.current).id;
    const since = await lastId(app);
    expectStatus(await user.client.request('DELETE', `/api/v1/me/sessions/${otherId}`), 204);
    expectStatus(await user.client.post('/api/v1/logout'), 204);
    const rows = await eventsSince(app, since);
    assert.deepEqual(
      rows.map((r) => [r.step, r.result, r.user_id, r.detail]),
      [
        ['logout', 'success', id, { ended: 'other-session' }],
        ['logout', 'success', id, null],
      ],
    );
    // A logout without a session records nothing.
    const before = await lastId(app);
    expectStatus(await new TestClient(app).post('/api/v1/logout'), 204);
    assert.equal(await lastId(app), before);
  });

  it('device pairing, paired and removed', async () => {
    const user = await enrolledUser(app);
    const id = await userId(user);
    const since = await lastId(app);
    const phone = await TestPhone.pair(app, user, { name: 'Audit phone' });
    expectStatus(await user.client.request('DELETE', `/api/v1/devices/${phone.deviceId}`), 204);
    const rows = await eventsSince(app, since);
    assert.deepEqual(
      rows.map((r) => [r.step, r.result, r.user_id, r.detail]),
      [
        ['device-pairing', 'success', id, null],
        ['device-paired', 'success', id, { deviceId: phone.deviceId, name: 'Audit phone' }],
        ['device-removed', 'success', id, { deviceId: phone.deviceId }],
      ],
    );
    assert.deepEqual(await activity(user.client, 3), [
      'device-removed:success',
      'device-paired:success',
      'device-pairing:success',
    ]);
    assert.ok(
      rows.every((r) => r.request_id),
      'each event carries its request id',
    );
  });
});
