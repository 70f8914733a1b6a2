// The verification API's budgets: per application and user, and the user's own (second-factor
// lockout, phone prompts), so that applications add no guesses and no prompts to a login's.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { liftBans } from '../../src/admin/bans.ts';
import { link, registerApplication, rp, sendCode, startVerification } from '../helpers/applications.ts';
import { buildTestApp, testConfig } from '../helpers/build-app.ts';
import {
  enrolledUser,
  expectError,
  expectStatus,
  PASSWORD,
  TestClient,
  totpCode,
} from '../helpers/client.ts';
import { TestPhone } from '../helpers/test-phone.ts';

const FAILURES = 3;
const PROMPTS = 3;

async function wrongCode(
  app: FastifyInstance,
  application: { name: string; key: string },
  appUsername: string,
) {
  const started = await startVerification(app, application, appUsername, 'code');
  return sendCode(app, application, started.id, '000000');
}

async function userId(client: TestClient): Promise<string> {
  return expectStatus(await client.get('/api/v1/me'), 200).json().user.id;
}

describe('verification API: code budgets', async () => {
  const config = await testConfig();
  const limits = { ...config.limits, secondFactorFailures: FAILURES };
  const app = await buildTestApp({ after }, { ...config, limits });

  it("wrong codes lock the application for the user, and count toward the user's own lockout", async () => {
    const wiki = await registerApplication(app);
    const shop = await registerApplication(app);
    const user = await enrolledUser(app);
    const other = await enrolledUser(app);
    await link(user, wiki, 'victim');
    await link(user, shop, 'victim');
    await link(other, wiki, 'bystander');
    for (let i = 0; i < FAILURES; i += 1) {
      assert.equal(expectStatus(await wrongCode(app, wiki, 'victim'), 200).json().state, 'denied');
    }
    const locked = await wrongCode(app, wiki, 'victim');
    expectError(locked, 429, 'too_many_attempts');
    assert.ok(Number(locked.headers['retry-after']) > 0);
    // Not even the right code gets through now, from this application or another.
    const started = await startVerification(app, shop, 'victim', 'code');
    expectError(await sendCode(app, shop, started.id, await totpCode(user.secret)), 429, 'too_many_attempts');
    // ...nor at a login from a browser the account has not trusted: one budget for the account.
    const browser = new TestClient(app);
    expectStatus(await browser.post('/api/v1/login', { username: user.username, password: PASSWORD }), 200);
    expectError(
      await browser.post('/api/v1/login/totp', { code: await totpCode(user.secret) }),
      429,
      'too_many_attempts',
    );
    // Another user of the same application is not affected.
    assert.equal(expectStatus(await wrongCode(app, wiki, 'bystander'), 200).json().state, 'denied');

    const { events } = expectStatus(await user.client.get('/api/v1/me/activity'), 200).json();
    assert.ok(
      events.some(
        (e: { step: string; result: string; application: string }) =>
          e.step === 'rp-code' && e.result === 'locked' && e.application === wiki.name,
      ),
    );
    // `twofold bans lift <user id>` lifts the applications' counters for the user too.
    await liftBans(app.redis, app.config.redisKeyPrefix, await userId(user.client));
    const lifted = await startVerification(app, wiki, 'victim', 'code');
    assert.equal(
      expectStatus(await sendCode(app, wiki, lifted.id, await totpCode(user.secret)), 200).json().state,
      'approved',
    );
  });

  it("an application's successes do not refill the account's budget", async () => {
    const wiki = await registerApplication(app);
    const user = await enrolledUser(app);
    await link(user, wiki, 'mixed');
    for (let i = 0; i < FAILURES - 1; i += 1) await wrongCode(app, wiki, 'mixed');
    const started = await startVerification(app, wiki, 'mixed', 'code');
    assert.equal(
      expectStatus(await sendCode(app, wiki, started.id, await totpCode(user.secret)), 200).json().state,
      'approved',
    );
    // The application's own count starts again, but the account keeps its failures: one more.
    assert.equal(expectStatus(await wrongCode(app, wiki, 'mixed'), 200).json().state, 'denied');
    expectError(await wrongCode(app, wiki, 'mixed'), 429, 'too_many_attempts');
  });
});

describe('verification API: prompt budgets', async () => {
  const config = await testConfig();
  const app = await buildTestApp({ after }, { ...config, push: { ...config.push, maxPrompts: PROMPTS } });

  it('verifications per application and user; phone prompts per user, shared with logins', async () => {
    const wiki = await registerApplication(app);
    const shop = await registerApplication(app);
    const user = await enrolledUser(app);
    await link(user, wiki, 'busy');
    await link(user, shop, 'busy');
    for (let i = 0; i < PROMPTS; i += 1) await startVerification(app, wiki, 'busy', 'code');
    const locked = await rp(app, wiki.key, 'POST', '/api/v1/rp/verifications', {
      username: 'busy',
      method: 'code',
    });
    expectError(locked, 429, 'too_many_attempts');
    await startVerification(app, shop, 'busy', 'code'); // another application's budget

    const prompted = await enrolledUser(app);
    const phone = await TestPhone.pair(app, prompted);
    await link(prompted, wiki, 'prompted');
    await link(prompted, shop, 'prompted');
    for (let i = 0; i < PROMPTS; i += 1)
      await startVerification(app, i === 0 ? wiki : shop, 'prompted', 'push');
    expectError(
      await rp(app, wiki.key, 'POST', '/api/v1/rp/verifications', { username: 'prompted', method: 'push' }),
      429,
      'too_many_attempts',
    );
    const browser = new TestClient(app);
    expectStatus(
      await browser.post('/api/v1/login', { username: prompted.username, password: PASSWORD }),
      200,
    );
    expectError(await browser.post('/api/v1/login/push', {}), 429, 'too_many_attempts');
    const prompts = (await phone.inbox()).filter((m) => m.type === 'login');
    assert.equal(prompts.length, PROMPTS, 'no prompt past the budget');
    // Codes have a budget of their own: the phone still gets a code for a code verification.
    await startVerification(app, wiki, 'prompted', 'code');
    assert.equal((await phone.inbox()).filter((m) => m.type === 'code').length, 1);
  });
});

describe("verification API: the 30-day cap is the application's, not the account's", async () => {
  const config = await testConfig();
  const LONG_TERM = 3;
  const limits = { ...config.limits, secondFactorFailures: 1_000, secondFactorFailuresLongTerm: LONG_TERM };
  const app = await buildTestApp({ after }, { ...config, limits });

  it("someone with the user's password at an application cannot lock the user's own logins for 30 days", async () => {
    const wiki = await registerApplication(app);
    const user = await enrolledUser(app);
    await link(user, wiki, 'target');
    // The attack: the application's login form, the victim's password, then wrong codes.
    for (let i = 0; i < LONG_TERM; i += 1) {
      assert.equal(expectStatus(await wrongCode(app, wiki, 'target'), 200).json().state, 'denied');
    }
    expectError(await wrongCode(app, wiki, 'target'), 429, 'too_many_attempts');
    // The victim still logs in from a browser the account has never trusted.
    const browser = new TestClient(app);
    expectStatus(await browser.post('/api/v1/login', { username: user.username, password: PASSWORD }), 200);
    const login = expectStatus(
      await browser.post('/api/v1/login/totp', { code: await totpCode(user.secret) }),
      200,
    );
    assert.equal(login.json().state, 'authenticated');
  });
});
