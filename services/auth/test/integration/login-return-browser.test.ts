// Issue 10, the login pages in headless Chromium: a browser an application sent to the login page
// (with `rd`) comes back to the URL it asked for once signed in, and the session cookie covers the
// sibling subdomain; an `rd` on any other host is never followed.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, describe, it, type TestContext } from 'node:test';
import type { Page } from 'playwright-core';
import { launchChromium, phonePage } from '../../../../test/support/browser.ts';
import { addApplication } from '../../src/admin/applications.ts';
import { buildTestApp, testConfig } from '../helpers/build-app.ts';
import {
  enrolledUser,
  expectStatus,
  PASSWORD,
  TestClient,
  totpCode,
  uniqueUsername,
} from '../helpers/client.ts';

const DOMAIN = 'twofold.localhost';

describe('the login pages bring the browser back to the application (rd)', async () => {
  const browser = await launchChromium();
  after(() => browser.close());
  const config = await testConfig({ applications: { cookieDomain: DOMAIN, loginUrl: null } });
  const app = await buildTestApp({ after }, config);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as AddressInfo).port;
  await addApplication(app.applications, 'app1', { hosts: [`app1.${DOMAIN}`] });
  // The application's page: this replica serves /dashboard on app1. too, signed in by the shared cookie.
  const wanted = `http://app1.${DOMAIN}:${port}/dashboard?from=app1`;
  const login = (rd: string) => `http://${DOMAIN}:${port}/login?rd=${encodeURIComponent(rd)}`;
  // *.localhost is loopback in Chromium: both names reach this replica on 127.0.0.1.
  const browse = async (t: TestContext) => {
    const { page, context, problems } = await phonePage(browser);
    t.after(() => context.close());
    return { page, problems };
  };
  const passwordStep = async (page: Page, username: string) => {
    await page.fill('#username', username);
    await page.fill('#password', PASSWORD);
    await page.click('#login-submit');
  };
  const codeStep = async (page: Page, secret: string) => {
    await page.waitForURL(/\/verify-2fa$/);
    await page.fill('#code', await totpCode(secret));
    await page.click('#verify-submit');
  };

  it('password + TOTP, then back to rd on the sibling subdomain, already signed in there', async (t) => {
    const user = await enrolledUser(app);
    const { page, problems } = await browse(t);
    await page.goto(login(wanted));
    await passwordStep(page, user.username);
    await codeStep(page, user.secret);
    await page.waitForURL(wanted);
    await page.locator('#user-username', { hasText: user.username }).waitFor();
    assert.deepEqual(problems, [], 'no page error, no CSP violation');

    // Signed in already: the login page goes straight back.
    await page.goto(login(`http://app1.${DOMAIN}:${port}/dashboard?again=1`));
    await page.waitForURL(/\?again=1$/);
  });

  it('a first login that enrols an authenticator comes back after the recovery codes', async (t) => {
    const username = uniqueUsername();
    expectStatus(await new TestClient(app).post('/api/v1/register', { username, password: PASSWORD }), 201);
    const { page, problems } = await browse(t);
    await page.goto(login(wanted));
    await passwordStep(page, username);
    await page.waitForURL(/\/setup-2fa$/);
    const secret = await page
      .locator('#secret[data-secret]:not([data-secret=""])')
      .getAttribute('data-secret');
    await page.fill('#code', await totpCode(secret as string));
    await page.click('#confirm-submit');
    await page.locator('#continue', { hasText: 'Continue to the application' }).click();
    await page.waitForURL(wanted);
    await page.locator('#user-username', { hasText: username }).waitFor();
    assert.deepEqual(problems, []);
  });

  it('a session with the password alone is sent on to the second factor, then back', async (t) => {
    const user = await enrolledUser(app);
    const { page } = await browse(t);
    await page.goto(`http://${DOMAIN}:${port}/login`);
    await passwordStep(page, user.username);
    await page.waitForURL(/\/verify-2fa$/);
    // As if a two_factor application's 401 sent this browser to the login page again.
    await page.goto(login(wanted));
    await codeStep(page, user.secret);
    await page.waitForURL(wanted);
  });

  it('an rd on another host is ignored: the login ends on the dashboard, where it always did', async (t) => {
    const user = await enrolledUser(app);
    const { page } = await browse(t);
    await page.goto(login(`http://app1.${DOMAIN}.evil.example:${port}/`));
    await passwordStep(page, user.username);
    await codeStep(page, user.secret);
    await page.waitForURL(`http://${DOMAIN}:${port}/dashboard`);
  });
});
