// A person's path in a real browser: register, scan (read) the secret, confirm, reach the dashboard,
// log out, log back in through the other load balancer with password + TOTP.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchChromium, phonePage } from '../../support/browser.ts';
import type { TestCluster } from '../../support/cluster.ts';
import { previousStepCode, totpCode } from '../../support/http-client.ts';
import { sharedTestCluster } from '../../support/shared-cluster.ts';

describe('the web pages in headless Chromium, through nginx', () => {
  let cluster: TestCluster;
  let browser: Browser;

  before(async () => {
    cluster = await sharedTestCluster();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  it('registers, enrols by the QR page, and logs in again with password + TOTP', async () => {
    const [lbA, lbB] = cluster.lbUrls as [string, string];
    const { page, context, problems } = await phonePage(browser);

    const username = `browser${Date.now()}`;
    const password = 'a long browser password';
    await page.goto(new URL('/register', lbA).href);
    await page.fill('#username', username);
    await page.fill('#password', password);
    await page.click('#register-submit');
    await page.waitForURL(/\/setup-2fa$/);

    await page.locator('#qr').waitFor();
    assert.match((await page.getAttribute('#qr', 'src')) ?? '', /^data:image\/svg\+xml/);
    const secret = (await page.getAttribute('#secret', 'data-secret')) as string;
    assert.match(secret, /^[A-Z2-7]{32}$/);
    await page.fill('#code', await previousStepCode(secret));
    await page.click('#confirm-submit');
    await page.locator('#recovery-codes li').first().waitFor();
    assert.equal(await page.locator('#recovery-codes li').count(), 10);
    await page.click('#continue');
    await page.waitForURL(/\/dashboard$/);
    await page.locator('#user-username', { hasText: username }).waitFor();

    await page.click('#logout');
    await page.waitForURL(/\/login/);
    await page.goto(new URL('/login', lbB).href);
    await page.fill('#username', username);
    await page.fill('#password', password);
    await page.click('#login-submit');
    await page.waitForURL(/\/verify-2fa$/);
    await page.locator('#use-recovery').waitFor();
    assert.equal(await page.isVisible('#use-email'), false, 'no email option for an account without email');
    await page.fill('#code', await totpCode(secret));
    await page.click('#verify-submit');
    await page.waitForURL(/\/dashboard$/);
    await page.locator('#user-username', { hasText: username }).waitFor();
    await page.locator('#activity li').nth(2).waitFor();
    assert.match((await page.locator('#activity').textContent()) ?? '', /authenticator app/i);
    await page.screenshot({ path: `${cluster.dataDir}/dashboard.png` });

    await page.click('#account-link');
    await page.waitForURL(/\/account$/);
    await page.locator('#sessions li').first().waitFor();
    assert.match((await page.locator('#sessions').textContent()) ?? '', /This browser/);
    await page.fill('#regenerate-code', await totpCode(secret, Date.now() + 30_000));
    await page.click('#regenerate-codes');
    await page.locator('#new-recovery-codes li').nth(9).waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-codes')]);
    const saved = await readFile((await download.path()) as string, 'utf8');
    assert.match(saved, new RegExp(`^Twofold recovery codes for ${username}\n`));
    assert.equal(saved.match(/^[a-z2-9]{5}-[a-z2-9]{5}$/gm)?.length, 10);
    assert.deepEqual(problems, []);
    await context.close();
  });
});
