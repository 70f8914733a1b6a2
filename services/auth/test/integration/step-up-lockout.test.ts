import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { buildTestApp, testConfig } from '../helpers/build-app.ts';
import { type EnrolledUser, enrolledUser, PASSWORD, totpCode } from '../helpers/client.ts';

const WRONG_PASSWORD = 'not the password at all';

/** Each account page action that re-proves the user: a wrong attempt, and a right one. */
const ACTIONS: Array<{
  name: string;
  url: string;
  /** The step its lockout is audited under. */
  step: string;
  wrong: (user: EnrolledUser) => Promise<object>;
  right: (user: EnrolledUser) => Promise<object>;
}> = [
  {
    name: 'password change',
    step: 'password-change',
    url: '/api/v1/me/password',
    wrong: async (u) => ({
      currentPassword: WRONG_PASSWORD,
      newPassword: 'a brand new password',
      code: await totpCode(u.secret),
    }),
    right: async (u) => ({
      currentPassword: PASSWORD,
      newPassword: 'a brand new password',
      code: await totpCode(u.secret),
    }),
  },
  {
    name: 'new recovery codes',
    step: 'recovery-codes',
    url: '/api/v1/me/recovery-codes',
    wrong: async (u) => ({ code: (await totpCode(u.secret)) === '000000' ? '111111' : '000000' }),
    right: async (u) => ({ code: await totpCode(u.secret) }),
  },
  {
    name: 'factor removal',
    step: 'factor-removed',
    url: '/api/v1/me/totp/remove',
    wrong: async (u) => ({ password: WRONG_PASSWORD, code: await totpCode(u.secret) }),
    right: async (u) => ({ password: PASSWORD, code: await totpCode(u.secret) }),
  },
  {
    name: 'phone pairing',
    step: 'device-pairing',
    url: '/api/v1/devices/pairing',
    wrong: async (u) => ({ password: WRONG_PASSWORD, code: await totpCode(u.secret) }),
    right: async (u) => ({ password: PASSWORD, code: await totpCode(u.secret) }),
  },
];

function assertLocked(response: LightMyRequestResponse) {
  assert.equal(response.statusCode, 429, response.body);
  assert.equal(response.json().error.code, 'too_many_attempts');
  assert.ok(Number(response.headers['retry-after']) > 0, 'with Retry-After');
}

describe('step-up lockout on the account page', async () => {
  const config = await testConfig();
  const budget = config.limits.secondFactorFailures;
  const app = await buildTestApp({ after }, config);

  for (const action of ACTIONS) {
    it(`${action.name}: 429 too_many_attempts after the budget of wrong attempts, even when right`, async () => {
      const user = await enrolledUser(app);
      const statuses = [];
      for (let i = 0; i < budget; i += 1)
        statuses.push((await user.client.post(action.url, await action.wrong(user))).statusCode);
      assert.deepEqual(
        statuses,
        Array.from({ length: budget }, () => 401),
      );
      assertLocked(await user.client.post(action.url, await action.right(user)));
      const { user: me } = (await user.client.get('/api/v1/me')).json();
      const { rows } = await app.db.query(
        "SELECT step FROM audit_events WHERE user_id = $1 AND result = 'locked'",
        [me.id],
      );
      assert.deepEqual(
        rows.map((r) => r.step),
        [action.step],
        'the lockout is in the audit log',
      );
    });
  }

  it('the budget is one per user, shared by every step-up action', async () => {
    const user = await enrolledUser(app);
    for (let i = 0; i < budget; i += 1) {
      const action = ACTIONS[i % ACTIONS.length] as (typeof ACTIONS)[number];
      assert.equal((await user.client.post(action.url, await action.wrong(user))).statusCode, 401);
    }
    for (const action of ACTIONS) assertLocked(await user.client.post(action.url, await action.right(user)));
    // Another user's budget is untouched.
    const other = await enrolledUser(app);
    const recovery = await other.client.post('/api/v1/me/recovery-codes', {
      code: await totpCode(other.secret, Date.now() + 30_000),
    });
    assert.equal(recovery.statusCode, 200, recovery.body);
  });
});
