// The phone app (the PWA at /phone/) in headless Chromium against a real cluster: pair it from the
// dashboard's link, see the account's codes, approve a sign-in by tapping the number the browser
// shows, receive a one-time code, and keep showing codes offline from the service worker's cache.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, phonePage } from '../../support/browser.ts';
import type { TestCluster } from '../../support/cluster.ts';
import { totpCode } from '../../support/http-client.ts';
import { sharedTestCluster } from '../../support/shared-cluster.ts';

/** Registers and enrols TOTP in `page`; returns the secret read from the setup page. */
async function registerWithTotp(page: Page, base: string, username: string, password: string) {
  await page.goto(new URL('/register', base).href);
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.click('#register-submit');
  await page.waitForURL(/\/setup-2fa$/);
  await page.locator('#secret').waitFor();
  const secret = (await page.getAttribute('#secret', 'data-secret')) as string;
  await page.fill('#code', await totpCode(secret));
  await page.click('#confirm-submit');
  await page.locator('#recovery-codes li').first().waitFor();
  await page.click('#continue');
  await page.waitForURL(/\/dashboard$/);
  return secret;
}

/** The pairing link, as the dashboard's "Pair a phone" panel shows it after the password. */
async function pairingLink(page: Page, password: string, secret: string): Promise<string> {
  await page.click('#pair-start');
  await page.fill('#pair-password', password);
  // The enrolment used this step's code; the next step's is accepted too (one step of skew) and unused.
  await page.fill('#pair-code', await totpCode(secret, Date.now() + 30_000));
  await page.click('#pair-submit');
  await page.locator('#pairing-qr svg').waitFor();
  const link = (await page.getAttribute('#pairing-link', 'href')) ?? '';
  assert.match(link, /\/phone\/#pair=[A-Za-z0-9_-]+$/);
  return link;
}

/** The 6-digit code a `.account-code` or `.delivered-code` shows (its text is the bare digits). */
async function shownCode(page: Page, selector: string): Promise<string> {
  const element = page
    .locator(selector)
    .filter({ hasText: /^\d{6}$/ })
    .first();
  await element.waitFor();
  return (await element.textContent()) ?? '';
}

async function signInUpToPhone(page: Page, base: string, username: string, password: string) {
  await page.goto(new URL('/login', base).href);
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.click('#login-submit');
  await page.waitForURL(/\/verify-2fa$/);
  await page.locator('#push-send:enabled').waitFor(); // a paired phone: the phone way comes first
}

describe('the phone app (PWA) in headless Chromium, through nginx', () => {
  let cluster: TestCluster;
  let browser: Browser;

  before(async () => {
    cluster = await sharedTestCluster();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  it('pairs by the link, shows codes, approves a sign-in by number, receives a code, works offline', async () => {
    const [lbA, lbB] = cluster.lbUrls as [string, string];
    const username = `pwa${Date.now()}`;
    const password = 'a long phone password';

    const desk = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const dashboard = await desk.newPage();
    const secret = await registerWithTotp(dashboard, lbA, username, password);
    const link = await pairingLink(dashboard, password, secret);

    // The phone opens the link: the token leaves the address bar, the name is asked for.
    const { page: phone, context: phoneContext, problems } = await phonePage(browser);
    await phone.goto(link);
    await phone.locator('#pair-view').waitFor();
    assert.equal(new URL(phone.url()).hash, '', 'the token is removed from the address bar');
    assert.equal(await phone.inputValue('#device-name'), 'Phone');
    await phone.fill('#device-name', 'Test phone');
    await phone.click('#pair-button');

    // The account arrives sealed over the push channel (with a TOTP secret of the phone's own);
    // the code is computed on the phone, and signs in below.
    await shownCode(phone, '.account-code');
    assert.match((await phone.textContent('.account')) ?? '', new RegExp(username));
    // The dashboard notices the new phone while its pairing code is up.
    const listed = dashboard.locator('#device-list li', { hasText: 'Test phone' });
    await listed.waitFor();
    assert.match(
      (await listed.textContent()) ?? '',
      /^Test phone · (seen just now|not connected yet)Remove$/,
    );
    await desk.close();
    await phone.locator('#status[data-state="connected"]').waitFor();

    // Sign in on another load balancer, approve on the phone by tapping the number shown.
    const laptop = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const login = await laptop.newPage();
    await signInUpToPhone(login, lbB, username, password);
    await login.click('#push-send');
    await login.locator('#push-number').filter({ hasText: /^\d+$/ }).waitFor();
    const number = ((await login.textContent('#push-number')) ?? '').trim();
    const prompt = phone.locator('.prompt').filter({ hasNot: phone.locator('.prompt-outcome:not(:empty)') });
    await prompt.locator('.choice').first().waitFor();
    assert.match((await prompt.textContent()) ?? '', new RegExp(`Sign-in request for ${username}`));
    const choices = await prompt.locator('.choice').allTextContents();
    assert.equal(choices.length, 3);
    assert.ok(choices.includes(number), `the phone offers ${choices}, the browser shows ${number}`);
    await prompt.locator('.choice', { hasText: new RegExp(`^${number}$`) }).click();
    await phone.locator('.prompt-outcome[data-outcome="approved"]').waitFor();
    await login.waitForURL(/\/dashboard$/);
    await login.locator('#user-username', { hasText: username }).waitFor();

    // Again with a code sent to the phone instead.
    await login.click('#logout');
    await login.waitForURL(/\/login/);
    await signInUpToPhone(login, lbA, username, password);
    await login.click('#push-code-send');
    const delivered = await shownCode(phone, '.delivered-code');
    await login.fill('#push-code', delivered);
    await login.click('#push-code-submit');
    await login.waitForURL(/\/dashboard$/);

    // And with the code the phone shows, typed like an authenticator app's.
    await login.click('#logout');
    await login.waitForURL(/\/login/);
    await signInUpToPhone(login, lbB, username, password);
    await login.click('#use-totp');
    await login.fill('#code', await shownCode(phone, '.account-code'));
    await login.click('#verify-submit');
    await login.waitForURL(/\/dashboard$/);
    await laptop.close();

    // Offline: the service worker serves the app shell, the codes still come from the stored secret.
    await phone.evaluate('navigator.serviceWorker.ready.then(() => true)');
    await phone.reload(); // the page is now controlled by the service worker
    await shownCode(phone, '.account-code');
    const worker = await phone.evaluate<string>("navigator.serviceWorker.controller?.scriptURL ?? ''");
    assert.equal(new URL(worker).pathname, '/phone/sw.js');
    const manifest = await phone.evaluate(async () => {
      const response = await fetch('/phone/manifest.webmanifest');
      return {
        type: response.headers.get('content-type'),
        body: (await response.json()) as { scope: string },
      };
    });
    assert.equal(manifest.type, 'application/manifest+json');
    assert.equal(manifest.body.scope, '/phone/');
    const onlineCode = await shownCode(phone, '.account-code');
    const onlineStep = Math.floor(Date.now() / 30_000);
    await phoneContext.setOffline(true);
    await phone.reload();
    const offlineCode = await shownCode(phone, '.account-code');
    if (Math.floor(Date.now() / 30_000) === onlineStep) assert.equal(offlineCode, onlineCode);
    await phone.locator('#status[data-state="offline"]').waitFor();
    await phoneContext.setOffline(false);
    await phone.locator('#status[data-state="connected"]').waitFor();
    await phone.screenshot({ path: `${cluster.dataDir}/phone.png` });
    assert.deepEqual(problems, []);
    await phoneContext.close();
  });
});
