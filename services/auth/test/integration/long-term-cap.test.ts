// Issue 9 §3, NIST SP 800-63B: besides the 15-minute budgets, second-factor failures from browsers
// not trusted for the account are counted over a long window, all factors together; past the cap
// a second factor is taken only from a trusted browser or after an operator's unlock, and the
// rightful user's success elsewhere does not refill an attacker's budget.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { liftBans } from '../../src/admin/bans.ts';
import { usernameKey } from '../../src/lib/usernames.ts';
import { buildTestApp, testConfig } from '../helpers/build-app.ts';
import {
  type EnrolledUser,
  enrolledUser,
  expectStatus,
  PASSWORD,
  TestClient,
  totpCode,
} from '../helpers/client.ts';

async function passwordStep(app: FastifyInstance, user: EnrolledUser): Promise<TestClient> {
  const browser = new TestClient(app);
  expectStatus(await browser.post('/api/v1/login', { username: user.username, password: PASSWORD }), 200);
  return browser;
}

describe('the long-term cap on second-factor failures', () => {
  it('holds untrusted browsers past it, lets a trusted one in, and an operator lifts it', async (t: TestContext) => {
    const base = await testConfig();
    const config = { ...base, limits: { ...base.limits, secondFactorFailuresLongTerm: 3 } };
    const app = await buildTestApp(t, config);
    const user = await enrolledUser(app);
    const trusted = await passwordStep(app, user);
    expectStatus(
      await trusted.post('/api/v1/login/totp', { code: await totpCode(user.secret, Date.now() + 30_000) }),
      200,
    );

    // The attacker knows the password; guesses spread over factors stay under each 15-minute budget.
    const attacker = await passwordStep(app, user);
    for (const [path, code] of [
      ['/api/v1/login/totp', '000000'],
      ['/api/v1/login/recovery', 'aaaa-bbbb-cccc'],
      ['/api/v1/login/totp', '111111'],
    ]) {
      assert.equal((await attacker.post(path as string, { code })).statusCode, 401);
    }
    // Now even the right code from an untrusted browser is refused.
    const rightfulElsewhere = await passwordStep(app, user);
    const held = await rightfulElsewhere.post('/api/v1/login/recovery', { code: user.recoveryCodes[0] });
    assert.equal(held.statusCode, 429);
    assert.equal(held.json().error.code, 'too_many_attempts');

    const again = await passwordStep(app, user);
    // The trusted browser still signs in (its own budget).
    expectStatus(await trusted.post('/api/v1/login', { username: user.username, password: PASSWORD }), 200);
    expectStatus(await trusted.post('/api/v1/login/recovery', { code: user.recoveryCodes[1] }), 200);
    // Its success gave nothing back to the attacker: still held.
    assert.equal(
      (await again.post('/api/v1/login/recovery', { code: user.recoveryCodes[2] })).statusCode,
      429,
    );

    const account = await app.users.findByUsernameKey(usernameKey(user.username));
    assert.ok(account);
    assert.ok(
      (await liftBans(app.redis, config.redisKeyPrefix, account.id)) > 0,
      'twofold bans lift <user id>',
    );
    expectStatus(await again.post('/api/v1/login/recovery', { code: user.recoveryCodes[3] }), 200);
  });
});
