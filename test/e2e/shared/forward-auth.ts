// Issue 10, forward auth in a real browser: two demo applications on sibling subdomains behind both
// load balancers. An anonymous visit is sent to the login page and, after password + TOTP, back to
// the URL it asked for; the second application needs no second login; a user outside the allowed
// group gets 403; an `rd` pointing at another site is never followed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../support/browser.ts';
import type { TestCluster } from '../../support/cluster.ts';
import { PASSWORD } from '../../support/failover-workers.ts';
import { totpCode } from '../../support/http-client.ts';
import { type Enrolled, enrolSteps } from '../../support/login-workers.ts';
import { sharedTestCluster } from '../../support/shared-cluster.ts';
import { twofold } from '../../support/twofold-cli.ts';

const DOMAIN = 'twofold.localhost';

/** An operator command on the test cluster's database (it runs without `twofold up`'s supervisor). */
async function operator(cluster: TestCluster, ...args: string[]): Promise<string> {
  const { code, stdout, stderr } = await twofold([...args, '--database-url', cluster.databaseUrl]).done;
  assert.equal(code, 0, `twofold ${args.join(' ')}: ${stderr}`);
  return stdout;
}

async function enrolled(cluster: TestCluster, prefix: string): Promise<Enrolled> {
  const result = await enrolSteps(cluster.lbUrls, `${prefix}${Date.now()}`);
  assert.ok(result.ok && result.user, result.detail);
  return result.user;
}

/** Password + TOTP on Twofold's own login page, wherever the browser was sent to it. */
async function logIn(page: Page, user: Enrolled): Promise<void> {
  await page.waitForURL(new RegExp(`^http://${DOMAIN.replace('.', '\\.')}:\\d+/login\\?`));
  await page.fill('#username', user.username);
  await page.fill('#password', PASSWORD);
  await page.click('#login-submit');
  await page.waitForURL(/\/verify-2fa/);
  await page.fill('#code', await totpCode(user.secret));
  await page.click('#verify-submit');
}

describe('forward auth: protected applications on sibling subdomains, one login', () => {
  let cluster: TestCluster;
  let browser: Browser;
  let staff: Enrolled;
  let outsider: Enrolled;
  const appUrl = (app: 'app1' | 'app2', lb: 'lbA' | 'lbB', rest = '/') =>
    `http://${app}.${DOMAIN}:${cluster.ports[lb]}${rest}`;

  before(async () => {
    cluster = await sharedTestCluster();
    browser = await launchChromium();
    [staff, outsider] = await Promise.all([enrolled(cluster, 'staff'), enrolled(cluster, 'outsider')]);
    await operator(cluster, 'users', 'groups', staff.username, '--add', 'staff');
    const apps: Array<[string, string]> = [
      ['whoami-1', `app1.${DOMAIN}`],
      ['whoami-2', `app2.${DOMAIN}`],
    ];
    for (const [name, host] of apps) {
      const added = await operator(cluster, 'apps', 'add', name, '--host', host, '--allow-group', 'staff');
      assert.match(added, /tfk_[A-Za-z0-9_-]+/, 'the API key is shown once');
    }
  });
  after(async () => {
    await browser?.close();
  });

  it('anonymous → login page → password + TOTP → the original URL; the sibling application needs no login', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const wanted = appUrl('app1', 'lbA', '/reports/2026?year=2026&q=caf%C3%A9');
    await page.goto(wanted);
    await logIn(page, staff);
    await page.waitForURL(wanted);
    const first = (await page.textContent('body')) ?? '';
    assert.match(first, new RegExp(staff.username));
    assert.match(first, /staff/, 'Remote-Groups reached the application');

    // The other application, through the other load balancer: the cookie covers *.twofold.localhost.
    const second = await page.goto(appUrl('app2', 'lbB', '/'));
    assert.equal(second?.status(), 200);
    assert.equal(
      new URL(page.url()).host,
      `app2.${DOMAIN}:${cluster.ports.lbB}`,
      'no detour by the login page',
    );
    assert.match((await page.textContent('body')) ?? '', new RegExp(staff.username));
    await context.close();
  });

  it('a logged-in user outside the allowed group gets 403', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(appUrl('app1', 'lbB', '/'));
    await logIn(page, outsider);
    await page.waitForURL(appUrl('app1', 'lbB', '/'));
    const again = await page.goto(appUrl('app2', 'lbA', '/'));
    assert.equal(again?.status(), 403);
    assert.doesNotMatch((await page.textContent('body')) ?? '', new RegExp(outsider.username));
    await context.close();
  });

  it('an rd pointing at another site is ignored: the login ends on the dashboard', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const evil = encodeURIComponent(`http://app1.${DOMAIN}.evil.example/`);
    await page.goto(`http://${DOMAIN}:${cluster.ports.lbA}/login?rd=${evil}`);
    await page.fill('#username', outsider.username);
    await page.fill('#password', PASSWORD);
    await page.click('#login-submit');
    await page.waitForURL(/\/verify-2fa/);
    // The next step's code: the current one won the previous test's login (codes win once).
    await page.fill('#code', await totpCode(outsider.secret, Date.now() + 30_000));
    await page.click('#verify-submit');
    await page.waitForURL(/\/dashboard$/);
    assert.equal(new URL(page.url()).hostname, DOMAIN);
    await context.close();
  });
});
