// Security keys and passkeys in a real browser through both load balancers: Chromium's virtual
// authenticators stand in for a YubiKey (USB) and for the laptop's own passkey store. WebAuthn
// refuses IP addresses, so the pages are opened at http://localhost:<port> of each load balancer.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';
import { memberLogFile } from '../../../deploy/src/paths.ts';
import { launchChromium, phonePage } from '../../support/browser.ts';
import type { TestCluster } from '../../support/cluster.ts';
import { PASSWORD, uniqueName } from '../../support/failover-workers.ts';
import { type Enrolled, enrolSteps } from '../../support/login-workers.ts';
import { sharedTestCluster } from '../../support/shared-cluster.ts';
import { sleep } from '../../support/traffic.ts';
import {
  addCredential,
  addVirtualAuthenticator,
  credentials,
  toBase64Url,
  type VirtualAuthenticator,
  type VirtualCredential,
} from '../../support/virtual-authenticator.ts';

/** The load balancer's URL at localhost: the host name WebAuthn accepts for the same machine. */
const atLocalhost = (url: string) => {
  const local = new URL(url);
  local.hostname = 'localhost';
  return local.href;
};

const isPost = (path: string) => (response: Response) =>
  response.request().method() === 'POST' && new URL(response.url()).pathname === path;

async function expectStatus(response: Response, status: number) {
  if (response.status() === status) return;
  const body = await response.text().catch(() => '(body gone with the page)');
  assert.fail(`${new URL(response.url()).pathname} answered ${response.status()}, not ${status}: ${body}`);
}

/**
 * `awaited`, unless the page shows an error first (then that is the failure, instead of a timeout).
 * A page must be in front for WebAuthn: Chromium refuses a ceremony in a tab without focus.
 */
async function unlessPageError<T>(page: Page, awaited: Promise<T>): Promise<T> {
  let settled = false;
  const shown = page
    .locator('#error:not(:empty)')
    .waitFor({ timeout: 60_000 })
    .then(
      async () => {
        const text = await page.textContent('#error').catch(() => '');
        if (!settled) throw new Error(`${page.url()} shows the error: ${text}`);
      },
      () => undefined,
    )
    .then(() => new Promise<never>(() => undefined));
  try {
    return await Promise.race([awaited, shown]);
  } finally {
    settled = true;
  }
}

describe('security keys and passkeys in headless Chromium, through nginx', () => {
  let cluster: TestCluster;
  let browser: Browser;
  let lbA: string;
  let lbB: string;
  let user: Enrolled;
  // The person's browser: one context (one session cookie), a tab with the USB key plugged in and
  // a tab whose device keeps passkeys (each tab has its own virtual authenticators).
  let context: BrowserContext;
  let keyPage: Page;
  let passkeyPage: Page;
  let key: VirtualAuthenticator;
  let platform: VirtualAuthenticator;
  // Page errors and CSP violations of every page opened here, which must stay none.
  const problemLists: string[][] = [];
  const problems = () => problemLists.flat();
  const contexts: BrowserContext[] = [];

  before(async () => {
    cluster = await sharedTestCluster();
    browser = await launchChromium();
    [lbA, lbB] = (cluster.lbUrls as [string, string]).map(atLocalhost) as [string, string];
    // Registered and enrolled (authenticator app) through the API; the browser takes over the session.
    const enrolled = await enrolSteps([lbA], uniqueName('webauthn'));
    assert.ok(enrolled.ok && enrolled.user, enrolled.detail);
    user = enrolled.user;
    const opened = await phonePage(browser);
    ({ context, page: keyPage } = opened);
    contexts.push(context);
    problemLists.push(opened.problems);
    const cookie = user.client.cookie as string;
    const [name, value] = [cookie.slice(0, cookie.indexOf('=')), cookie.slice(cookie.indexOf('=') + 1)];
    await context.addCookies([{ name, value, url: lbA, httpOnly: true, sameSite: 'Lax' }]);
    key = await addVirtualAuthenticator(keyPage, { kind: 'security-key' });
    passkeyPage = await watchedPage(context);
    platform = await addVirtualAuthenticator(passkeyPage, { kind: 'platform' });
  });
  after(async () => {
    for (const opened of contexts) await opened.close().catch(() => undefined);
    await browser?.close();
  });

  /** Another tab of `owner`, watched as phonePage watches its page. */
  async function watchedPage(owner: BrowserContext): Promise<Page> {
    const page = await owner.newPage();
    const problems: string[] = [];
    problemLists.push(problems);
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) problems.push(message.text());
    });
    return page;
  }

  /** A fresh browser (its own cookies) with one authenticator of `kind`. */
  async function otherBrowser(kind: 'security-key' | 'platform') {
    const opened = await phonePage(browser);
    contexts.push(opened.context);
    problemLists.push(opened.problems);
    const authenticator = await addVirtualAuthenticator(opened.page, { kind });
    return { page: opened.page, authenticator };
  }

  /** A recovery code for each step-up: TOTP codes win once per 30 s step, these at once. */
  function stepUpCode(): string {
    const code = user.recoveryCodes.shift();
    assert.ok(code, 'a recovery code left for the step-up');
    return code;
  }

  async function addOnAccountPage(page: Page, lb: string, name: string, passkey: boolean) {
    await page.bringToFront();
    await page.goto(new URL('/account', lb).href);
    await page.locator('#webauthn-add-form').waitFor();
    await page.fill('#webauthn-name', name);
    if (passkey) await page.check('#webauthn-passkey');
    await page.fill('#webauthn-password', PASSWORD);
    await page.fill('#webauthn-code', stepUpCode());
    const [added] = await Promise.all([
      unlessPageError(page, page.waitForResponse(isPost('/api/v1/me/webauthn'))),
      page.click('#webauthn-add'),
    ]);
    await expectStatus(added, 201);
    const item = page.locator('#webauthn-credentials li', { hasText: name });
    await item.waitFor();
    return (await item.textContent()) ?? '';
  }

  async function removeOnAccountPage(page: Page, lb: string, name: string) {
    await page.bringToFront();
    await page.goto(new URL('/account', lb).href);
    const item = page.locator('#webauthn-credentials li', { hasText: name });
    await item.locator('button', { hasText: 'Remove' }).click();
    await page.locator('#webauthn-remove-form').waitFor();
    assert.equal(await page.textContent('#webauthn-remove-name'), name);
    await page.fill('#webauthn-remove-password', PASSWORD);
    await page.fill('#webauthn-remove-code', stepUpCode());
    await page.click('#webauthn-remove-submit');
    await item.waitFor({ state: 'detached' });
    await page.locator('#notice', { hasText: 'removed' }).waitFor();
  }

  async function logOut(page: Page, lb: string) {
    await page.bringToFront();
    await page.goto(new URL('/dashboard', lb).href);
    await page.locator('#user-username', { hasText: user.username }).waitFor();
    await page.click('#logout');
    await page.waitForURL(/\/login/);
  }

  /**
   * Logs out without landing on the login page, whose autofill would sign a tab holding a passkey
   * straight back in: a virtual authenticator answers it at once, as if the person had picked one.
   */
  async function logOutQuietly(page: Page, lb: string) {
    await page.bringToFront();
    await page.goto(new URL('/dashboard', lb).href);
    await page.locator('#user-username', { hasText: user.username }).waitFor();
    const status = await page.evaluate<number>(
      "fetch('/api/v1/logout', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).then((r) => r.status)",
    );
    assert.ok(status < 300, `logout answered ${status}`);
  }

  /** The password step on the login page; resolves with the factors the API offered. */
  async function passwordStep(page: Page, lb: string): Promise<string[]> {
    await page.bringToFront();
    await page.goto(new URL('/login', lb).href);
    await page.fill('#username', user.username);
    await page.fill('#password', PASSWORD);
    await page.click('#login-submit');
    await page.waitForURL(/\/verify-2fa$/);
    // As the login page kept them for the next one (the answer's body is gone with the page).
    return JSON.parse(
      (await page.evaluate<string | null>("sessionStorage.getItem('twofold.factors')")) ?? '[]',
    );
  }

  /** "Use your security key" on the second-factor page: the responses of both WebAuthn requests. */
  async function useKey(page: Page): Promise<{ options: Response; verification: Response }> {
    await page.bringToFront();
    await page.locator('#webauthn-submit').waitFor();
    const [options, verification] = await Promise.all([
      page.waitForResponse(isPost('/api/v1/login/webauthn/options')),
      page.waitForResponse(isPost('/api/v1/login/webauthn')),
      page.click('#webauthn-submit'),
    ]);
    return { options, verification };
  }

  async function signInWithKey(page: Page, lb: string) {
    const factors = await passwordStep(page, lb);
    assert.ok(factors.includes('webauthn'), `factors offered: ${factors}`);
    const answered = await useKey(page);
    await expectStatus(answered.verification, 200);
    await page.waitForURL(/\/dashboard$/);
    await page.locator('#user-username', { hasText: user.username }).waitFor();
    return answered;
  }

  /** The auth replica whose log has the request nginx tagged with `requestId`. */
  async function replicaThatAnswered(response: Response): Promise<string> {
    const requestId = (await response.headerValue('x-request-id')) ?? '';
    assert.match(requestId, /^[0-9a-f]{32}$/);
    const members = cluster.ports.auth.map((_port, i) => `auth-${i + 1}`);
    for (const deadline = Date.now() + 5_000; Date.now() < deadline; await sleep(100)) {
      for (const member of members) {
        const log = await readFile(memberLogFile(cluster.dataDir, member), 'utf8').catch(() => '');
        if (log.includes(`"reqId":"${requestId}"`)) return member;
      }
    }
    throw new Error(`no auth replica logged request ${requestId}`);
  }

  it('adds a security key on the account page, then signs in with password + key through lb-a and lb-b', async (t) => {
    const listed = await addOnAccountPage(keyPage, lbA, 'yubi', false);
    assert.match(listed, /Security key/);
    assert.match(listed, /never used/);
    const held = await credentials(key);
    assert.equal(held.length, 1, 'the key holds the new credential');
    assert.equal(held[0]?.rpId, 'localhost');

    await logOut(keyPage, lbA);
    await signInWithKey(keyPage, lbA);
    await keyPage.goto(new URL('/account', lbA).href);
    await keyPage.locator('#webauthn-credentials li', { hasText: 'last used' }).waitFor();

    // Through lb-b, until the challenge and the answer to it were served by different replicas:
    // the challenge lives in Redis, shared by every replica, not in the one that issued it.
    const served: string[] = [];
    for (let attempt = 0; attempt < 8; attempt += 1) {
      await logOut(keyPage, lbB);
      const { options, verification } = await signInWithKey(keyPage, lbB);
      const pair = [await replicaThatAnswered(options), await replicaThatAnswered(verification)];
      served.push(pair.join(' → '));
      if (pair[0] !== pair[1]) break;
    }
    t.diagnostic(`through lb-b, options → verification: ${served.join(', ')}`);
    assert.notEqual(
      served.at(-1)?.split(' → ')[0],
      served.at(-1)?.split(' → ')[1],
      `options and verification by different replicas at least once: ${served.join(', ')}`,
    );
    assert.deepEqual(problems(), []);
  });

  it('adds a passkey and signs in with it alone: the login page button, then autofill', async () => {
    const listed = await addOnAccountPage(passkeyPage, lbA, 'laptop', true);
    assert.match(listed, /Passkey/);
    const held = await credentials(platform);
    assert.equal(held.length, 1);
    assert.equal(held[0]?.isResidentCredential, true, 'a passkey is a resident (discoverable) credential');

    await logOutQuietly(passkeyPage, lbA);
    // The button alone: this visit's autofill gets no challenge, so it never starts.
    let optionsAsked = 0;
    await passkeyPage.route('**/api/v1/passkey/options', (route) =>
      optionsAsked++ === 0 ? route.abort() : route.continue(),
    );
    const autofillRefused = passkeyPage.waitForEvent('requestfailed', (request) =>
      request.url().endsWith('/api/v1/passkey/options'),
    );
    await passkeyPage.bringToFront();
    await passkeyPage.goto(new URL('/login', lbB).href);
    await autofillRefused;
    const [login] = await Promise.all([
      passkeyPage.waitForResponse(isPost('/api/v1/passkey/login')),
      passkeyPage.click('#passkey-signin'),
    ]);
    await expectStatus(login, 200);
    await passkeyPage.waitForURL(/\/dashboard$/);
    await passkeyPage.locator('#user-username', { hasText: user.username }).waitFor();
    await passkeyPage.unrouteAll();
    assert.equal(optionsAsked, 2, 'one challenge refused to the autofill, one for the button');

    // Autofill: the login page offers the passkey among the username's suggestions; picked, it signs in.
    await logOutQuietly(passkeyPage, lbB);
    const [picked] = await Promise.all([
      passkeyPage.waitForResponse(isPost('/api/v1/passkey/login')),
      passkeyPage.goto(new URL('/login', lbA).href),
    ]);
    await expectStatus(picked, 200);
    await passkeyPage.waitForURL(/\/dashboard$/);
    await passkeyPage.locator('#user-username', { hasText: user.username }).waitFor();
    assert.deepEqual(problems(), []);
  });

  it('refuses a cloned security key: a copy whose signature counter went back', async () => {
    const [original] = await credentials(key);
    assert.ok(original);
    const copy: VirtualCredential = { ...original };
    await logOut(keyPage, lbA);
    await signInWithKey(keyPage, lbA);
    const [advanced] = await credentials(key);
    assert.ok((advanced?.signCount ?? 0) > copy.signCount, 'the sign-in advanced the counter');

    const clone = await otherBrowser('security-key');
    await addCredential(clone.authenticator, copy);
    const factors = await passwordStep(clone.page, lbB);
    assert.ok(factors.includes('webauthn'));
    const { verification } = await useKey(clone.page);
    await expectStatus(verification, 401);
    await clone.page.locator('#error:not(:empty)').waitFor();
    assert.match(clone.page.url(), /\/verify-2fa$/);
    assert.deepEqual(problems(), []);
  });

  it('removes the key on the account page: then refused, and no longer offered once the passkey goes too', async () => {
    const [yubi] = await credentials(key);
    assert.ok(yubi);
    const [laptop] = await credentials(platform);
    assert.ok(laptop);
    await removeOnAccountPage(keyPage, lbA, 'yubi');

    // Another browser with the removed key: the page is led to ask for it (the server no longer
    // names it), and the server refuses its answer.
    const probe = await otherBrowser('security-key');
    await addCredential(probe.authenticator, yubi);
    await probe.page.route('**/api/v1/login/webauthn/options', async (route) => {
      const response = await route.fetch();
      const json = await response.json();
      json.options.allowCredentials = [
        { id: toBase64Url(yubi.credentialId), type: 'public-key', transports: ['usb'] },
      ];
      await route.fulfill({ response, json });
    });
    const offered = await passwordStep(probe.page, lbB);
    assert.ok(offered.includes('webauthn'), 'the passkey is still a second factor');
    const { verification } = await useKey(probe.page);
    await expectStatus(verification, 401);
    await probe.page.locator('#error:not(:empty)').waitFor();
    assert.match(probe.page.url(), /\/verify-2fa$/);

    await removeOnAccountPage(keyPage, lbB, 'laptop');
    await keyPage.locator('#webauthn-status', { hasText: 'no security key or passkey' }).waitFor();
    const me = await keyPage.evaluate(async () => {
      const answer = await fetch('/api/v1/me');
      return (await answer.json()) as { user: { factors: string[] } };
    });
    assert.ok(!me.user.factors.includes('webauthn'), `factors: ${me.user.factors}`);

    const again = await otherBrowser('security-key');
    await addCredential(again.authenticator, yubi);
    const factors = await passwordStep(again.page, lbA);
    assert.ok(!factors.includes('webauthn'), `factors offered: ${factors}`);
    await again.page.locator('#code').waitFor();
    assert.equal(await again.page.isVisible('#webauthn-form'), false);
    assert.equal(await again.page.isVisible('#use-webauthn'), false);

    // The removed passkey, offered by another browser's autofill: refused, the page stays.
    const stale = await otherBrowser('platform');
    await addCredential(stale.authenticator, laptop);
    const [refused] = await Promise.all([
      stale.page.waitForResponse(isPost('/api/v1/passkey/login')),
      stale.page.goto(new URL('/login', lbA).href),
    ]);
    await expectStatus(refused, 401);
    await stale.page.locator('#error:not(:empty)').waitFor();
    assert.match(stale.page.url(), /\/login$/);
    assert.deepEqual(problems(), []);
  });
});
