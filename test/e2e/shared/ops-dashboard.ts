// Issue 11, the built-in ops dashboard in a real browser through lb-a: an admin sees every member
// up with its role, graphs drawn by uPlot with data, and a killed replica turn "Down" within 15 s
// of a poll; a non-admin is told they are not allowed; an anonymous visit goes to the login page.
// Needs the cluster's Prometheus, and its URL passed to the auth replicas (TWOFOLD_PROMETHEUS_URL).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { panels } from '../../../monitoring/panels.ts';
import { launchChromium } from '../../support/browser.ts';
import type { TestCluster } from '../../support/cluster.ts';
import { PASSWORD } from '../../support/failover-workers.ts';
import { totpCode } from '../../support/http-client.ts';
import { type Enrolled, enrolSteps } from '../../support/login-workers.ts';
import { sharedTestCluster } from '../../support/shared-cluster.ts';
import { twofold } from '../../support/twofold-cli.ts';

/** Prometheus starts with the cluster: give it a few scrapes (every 5 s) to see everyone. */
const FIRST_SCRAPES_MS = 60_000;
/** The promise: a kill shows within 15 s; one more poll of the page (5 s) to be drawn. */
const KILL_SHOWS_MS = 20_000;

interface MemberRow {
  member: string;
  kind: string;
  state: string;
  role: string;
}

async function enrolled(cluster: TestCluster, prefix: string): Promise<Enrolled> {
  const result = await enrolSteps(cluster.lbUrls, `${prefix}${Date.now()}`);
  assert.ok(result.ok && result.user, result.detail);
  return result.user;
}

async function signedIn(browser: Browser, lbUrl: string, user: Enrolled, problems: string[]) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) problems.push(message.text());
  });
  await page.goto(new URL('/login', lbUrl).href);
  await page.fill('#username', user.username);
  await page.fill('#password', PASSWORD);
  await page.click('#login-submit');
  await page.waitForURL(/\/verify-2fa/);
  await page.fill('#code', await totpCode(user.secret));
  await page.click('#verify-submit');
  await page.waitForURL(/\/dashboard$/);
  return { context, page };
}

async function memberRows(page: Page): Promise<MemberRow[]> {
  return page.$$eval('#member-rows tr', (rows) =>
    rows.map((row) => {
      const [member, kind, state, role] = [...row.children].map((cell) => cell.textContent?.trim() ?? '');
      return { member: member ?? '', kind: kind ?? '', state: state ?? '', role: role ?? '' };
    }),
  );
}

async function waitForRows(page: Page, what: string, ok: (rows: MemberRow[]) => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let rows = await memberRows(page);
  while (!ok(rows)) {
    if (Date.now() > deadline)
      throw new Error(`not within ${timeoutMs} ms: ${what}\n${JSON.stringify(rows)}`);
    await page.waitForTimeout(500);
    rows = await memberRows(page);
  }
  return rows;
}

const isUp = (rows: MemberRow[], member: string) => rows.some((r) => r.member === member && r.state === 'Up');

function opsDashboardTests(cluster: () => TestCluster): void {
  describe('the ops dashboard at /ops, in headless Chromium through lb-a', () => {
    let browser: Browser;
    let admin: Enrolled;
    let outsider: Enrolled;
    const contexts: BrowserContext[] = [];

    before(async () => {
      browser = await launchChromium();
      [admin, outsider] = await Promise.all([
        enrolled(cluster(), 'opsadmin'),
        enrolled(cluster(), 'opsuser'),
      ]);
      const args = [
        'users',
        'groups',
        admin.username,
        '--add',
        'admin',
        '--database-url',
        cluster().databaseUrl,
      ];
      const { code, stderr } = await twofold(args).done;
      assert.equal(code, 0, `twofold users groups: ${stderr}`);
    });
    after(async () => {
      for (const context of contexts) await context.close().catch(() => {});
      await browser?.close();
    });

    it('shows an admin every member up with its role, the graphs with data, and a kill', async () => {
      const problems: string[] = [];
      const lbA = cluster().lbUrls[0] as string;
      const { context, page } = await signedIn(browser, lbA, admin, problems);
      contexts.push(context);
      await page.goto(new URL('/ops', lbA).href);
      await page.locator('#ops-content').waitFor();

      const expected = [
        ...cluster().authUrls.map((_, i) => `auth-${i + 1}`),
        ...['pg-1', 'pg-2', 'redis-1', 'redis-2', 'lb-a', 'lb-b'],
      ];
      const rows = await waitForRows(
        page,
        'every member up, one PostgreSQL leader and one Redis master',
        (found) =>
          expected.every((member) => isUp(found, member)) &&
          found.filter((r) => /^pg-/.test(r.member) && r.role === 'Leader').length === 1 &&
          found.filter((r) => /^redis-\d/.test(r.member) && r.role === 'Master').length === 1,
        FIRST_SCRAPES_MS,
      );
      assert.ok(rows.some((r) => /^pg-/.test(r.member) && r.role === 'Replica'));
      assert.ok(rows.some((r) => /^redis-\d/.test(r.member) && r.role === 'Replica'));

      const canvases = page.locator('.ops-chart canvas');
      await canvases.first().waitFor();
      assert.equal(await page.locator('.ops-panel').count(), panels.length);
      for (const box of await Promise.all((await canvases.all()).map((c) => c.boundingBox()))) {
        assert.ok(box && box.width > 0 && box.height > 0, 'a drawn canvas');
      }
      // The logins of this test (and the others') are on the login panel within a few scrapes.
      const loginPanel = panels.find((p) =>
        p.queries.some((q) => q.expr.includes('twofold_login_steps_total')),
      );
      const upPanel = panels.find((p) => p.queries.some((q) => /\(\s*up\s*\)/.test(q.expr)));
      for (const panel of [loginPanel, upPanel]) {
        assert.ok(panel, 'the login-rate and up panels exist');
        const caption = page.locator('.ops-panel', { hasText: panel.title }).locator('.ops-latest');
        await caption.filter({ hasText: /^Latest: .*\d/ }).waitFor({ timeout: FIRST_SCRAPES_MS });
      }

      // A killed replica: "Down" in the table, within the promise; back "Up" once restarted.
      const victim = `auth-${cluster().authUrls.length}`;
      await cluster().kill(victim);
      try {
        await waitForRows(page, `${victim} down`, (found) => !isUp(found, victim), KILL_SHOWS_MS);
        assert.ok(await page.locator('#member-rows tr', { hasText: victim }).locator('.state.down').count());
        // README's picture of a failover (TWOFOLD_OPS_SCREENSHOT=docs/ops-dashboard.png).
        if (process.env.TWOFOLD_OPS_SCREENSHOT) {
          await page.waitForTimeout(16_000); // the alert's `for: 15s`, then one more poll
          await page.screenshot({ path: process.env.TWOFOLD_OPS_SCREENSHOT, fullPage: true });
        }
      } finally {
        await cluster().restart(victim);
      }
      await waitForRows(page, `${victim} up again`, (found) => isUp(found, victim), FIRST_SCRAPES_MS);
      assert.deepEqual(problems, []);
    });

    it('tells a signed-in non-admin they are not allowed', async () => {
      const problems: string[] = [];
      const lbA = cluster().lbUrls[0] as string;
      const { context, page } = await signedIn(browser, lbA, outsider, problems);
      contexts.push(context);
      await page.goto(new URL('/ops', lbA).href);
      await page.locator('#forbidden').waitFor();
      assert.match(
        (await page.locator('#forbidden').textContent()) ?? '',
        /Not allowed[\s\S]*administrators/,
      );
      assert.equal(await page.locator('#ops-content').isVisible(), false);
      const api = await page.request.get(new URL('/api/v1/ops/members', lbA).href);
      assert.equal(api.status(), 403);
      assert.equal((await api.json()).error.code, 'admin_required');
      assert.deepEqual(problems, []);
    });

    it('sends an anonymous visitor to the login page', async () => {
      const context = await browser.newContext();
      contexts.push(context);
      const page = await context.newPage();
      await page.goto(new URL('/ops', cluster().lbUrls[1] as string).href);
      await page.waitForURL(/\/login/);
    });
  });
}

let shared: TestCluster | undefined;
before(async () => {
  shared = await sharedTestCluster();
});
opsDashboardTests(() => shared as TestCluster);
