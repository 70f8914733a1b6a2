// The login page past the account's budget, in headless Chromium: it solves the proof of work by
// itself (workers, strict CSP) and signs the rightful user in, at the real difficulty.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchChromium, phonePage } from '../../../../test/support/browser.ts';
import { buildTestApp, testConfig } from '../helpers/build-app.ts';
import { enrolledUser, expectError, PASSWORD, TestClient, totpCode } from '../helpers/client.ts';

const BUDGET = 3;

describe('the login page past the account budget, in headless Chromium', () => {
  let browser: Browser;
  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  it("solves the challenge by itself and signs the owner in after a stranger's guesses", async (t: TestContext) => {
    const config = await testConfig();
    const app = await buildTestApp(t, { ...config, limits: { ...config.limits, passwordFailures: BUDGET } });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const origin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const user = await enrolledUser(app);
    for (let i = 0; i <= BUDGET; i += 1) {
      const guess = await new TestClient(app).post('/api/v1/login', {
        username: user.username,
        password: 'a wrong guess at the password',
      });
      expectError(guess, i < BUDGET ? 401 : 429, i < BUDGET ? 'invalid_credentials' : 'too_many_attempts');
    }

    const { page, context, problems } = await phonePage(browser);
    t.after(() => context.close());
    await page.goto(`${origin}/login`);
    await page.fill('#username', user.username);
    await page.fill('#password', PASSWORD);
    const started = performance.now();
    await page.click('#login-submit');
    await page.locator('#notice', { hasText: 'Checking your browser…' }).waitFor();
    await page.waitForURL(/\/verify-2fa$/);
    t.diagnostic(`from the click to the second factor: ${Math.round(performance.now() - started)} ms`);
    await page.fill('#code', await totpCode(user.secret));
    await page.click('#verify-submit');
    await page.waitForURL(/\/dashboard$/);
    await page.locator('#user-username', { hasText: user.username }).waitFor();
    assert.deepEqual(problems, [], 'no page error, no CSP violation');
  });
});
