import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildTestApp, testConfig } from '../helpers/build-app.ts';
import {
  type EnrolledUser,
  enrolledUser,
  expectStatus,
  PASSWORD,
  TestClient,
  totpCode,
} from '../helpers/client.ts';

const DEVICE = 'twofold_device';
const THIRTY_DAYS = 30 * 24 * 3600;
const PASSWORD_FAILURES = 3;

async function appWithSmallBudget(t: TestContext) {
  const config = await testConfig();
  return buildTestApp(t, { ...config, limits: { ...config.limits, passwordFailures: PASSWORD_FAILURES } });
}

/** A browser that completed a login for the user (password + TOTP): it holds the device cookie. */
async function trustedBrowser(app: FastifyInstance, user: EnrolledUser) {
  const browser = new TestClient(app);
  expectStatus(await browser.post('/api/v1/login', { username: user.username, password: PASSWORD }), 200);
  const done = expectStatus(
    await browser.post('/api/v1/login/totp', { code: await totpCode(user.secret) }),
    200,
  );
  return { browser, done };
}

/** Someone else spends the account's shared password budget. */
async function exhaustSharedBudget(app: FastifyInstance, username: string) {
  for (let i = 0; i < PASSWORD_FAILURES; i += 1)
    assert.equal(
      (await new TestClient(app).post('/api/v1/login', { username, password: 'a wrong guess here' }))
        .statusCode,
      401,
    );
  const locked = await new TestClient(app).post('/api/v1/login', { username, password: PASSWORD });
  assertLocked(locked);
}

function assertLocked(response: LightMyRequestResponse) {
  assert.equal(response.statusCode, 429, response.body);
  assert.equal(response.json().error.code, 'too_many_attempts');
}

describe('the trusted-browser cookie twofold_device', () => {
  it('is HttpOnly, SameSite=Lax, path /api/v1/login, 30 days, and signed', async (t: TestContext) => {
    const app = await appWithSmallBudget(t);
    const user = await enrolledUser(app);
    const { done } = await trustedBrowser(app, user);
    const cookie = done.cookies.find((c) => c.name === DEVICE);
    assert.ok(cookie, 'set at the completed login');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Lax');
    assert.equal(cookie.path, '/api/v1/login');
    assert.equal(cookie.maxAge, THIRTY_DAYS);
    const unsigned = app.unsignCookie(cookie.value);
    assert.equal(unsigned.valid, true, 'signed with the session secret');
    assert.notEqual(unsigned.value, cookie.value, 'the value carries a signature');
    // The password step alone sets none: only a completed login makes a browser trusted.
    const session = await new TestClient(app).post('/api/v1/login', {
      username: user.username,
      password: PASSWORD,
    });
    assert.equal(
      session.cookies.find((c) => c.name === DEVICE),
      undefined,
      'not before a completed login',
    );
  });

  it('keeps a budget of its own, forgotten after a password change', async (t: TestContext) => {
    const app = await appWithSmallBudget(t);
    const user = await enrolledUser(app);
    const { browser } = await trustedBrowser(app, user);
    await exhaustSharedBudget(app, user.username);
    // The rightful browser still gets past the password step...
    expectStatus(await browser.post('/api/v1/login', { username: user.username, password: PASSWORD }), 200);
    expectStatus(await browser.post('/api/v1/login/recovery', { code: user.recoveryCodes.pop() }), 200);
    const newPassword = 'a completely new password';
    expectStatus(
      await browser.post('/api/v1/me/password', {
        currentPassword: PASSWORD,
        newPassword,
        code: user.recoveryCodes.pop(),
      }),
      204,
    );
    expectStatus(await browser.post('/api/v1/logout'), 204);
    assert.ok(browser.jar.get(DEVICE), 'the browser still sends its cookie');
    // ...but after the password change its cookie counts for nothing: the account's budget applies.
    assertLocked(await browser.post('/api/v1/login', { username: user.username, password: newPassword }));
  });

  it('is forgotten after the authenticator is removed', async (t: TestContext) => {
    const app = await appWithSmallBudget(t);
    const user = await enrolledUser(app);
    const { browser } = await trustedBrowser(app, user);
    await exhaustSharedBudget(app, user.username);
    expectStatus(await browser.post('/api/v1/login', { username: user.username, password: PASSWORD }), 200);
    expectStatus(await browser.post('/api/v1/login/recovery', { code: user.recoveryCodes.pop() }), 200);
    expectStatus(
      await browser.post('/api/v1/me/totp/remove', { password: PASSWORD, code: user.recoveryCodes.pop() }),
      200,
    );
    expectStatus(await browser.post('/api/v1/logout'), 204);
    assert.ok(browser.jar.get(DEVICE), 'the browser still sends its cookie');
    assertLocked(await browser.post('/api/v1/login', { username: user.username, password: PASSWORD }));
  });
});
