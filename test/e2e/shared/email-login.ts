// Email one-time codes end to end: the replicas mail the code to the cluster's SMTP sink, and the
// user signs in with it through both load balancers, by the API and by the verify page in Chromium.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchChromium, phonePage } from '../../support/browser.ts';
import type { TestCluster } from '../../support/cluster.ts';
import { HttpClient, previousStepCode } from '../../support/http-client.ts';
import { sharedTestCluster } from '../../support/shared-cluster.ts';

const PASSWORD = 'correct horse battery staple';

describe('email codes through nginx and the cluster mail sink', () => {
  let cluster: TestCluster;
  let browser: Browser;
  let lbA: string;
  let lbB: string;

  before(async () => {
    cluster = await sharedTestCluster();
    [lbA, lbB] = cluster.lbUrls as [string, string];
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  async function registerAndEnrol(username: string, email: string): Promise<void> {
    const client = new HttpClient(lbA);
    const registered = await client.post('/api/v1/register', { username, password: PASSWORD, email });
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
    await client.via(lbB).post('/api/v1/login', { username, password: PASSWORD });
    const { secret } = (await client.post('/api/v1/totp/enroll')).body;
    const confirm = await client
      .via(lbA)
      .post('/api/v1/totp/confirm', { code: await previousStepCode(secret) });
    assert.equal(confirm.status, 200, JSON.stringify(confirm.body));
  }

  /** The code in the newest mail to `email`, from the sink's JSON API (a send answers once it is caught). */
  async function mailedCode(email: string): Promise<string> {
    const url = new URL(`api/messages?to=${encodeURIComponent(email)}`, cluster.mailUrl);
    const [mail] = (await (await fetch(url)).json()) as Array<{ text: string }>;
    const code = mail && /code is: (\d{6})\b/.exec(mail.text)?.[1];
    assert.ok(code, `no code mailed to ${email}`);
    return code;
  }

  it('signs in with the password through lb-b and a mailed code through lb-a; the code works once', async () => {
    const username = `mail${Date.now()}`;
    const email = `${username}@example.org`;
    await registerAndEnrol(username, email);

    const client = new HttpClient(lbB);
    const login = await client.post('/api/v1/login', { username, password: PASSWORD });
    assert.deepEqual(login.body, { state: 'mfa_required', factors: ['totp', 'recovery', 'email'] });
    const sent = await client.via(lbA).post('/api/v1/login/email/send');
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    assert.deepEqual(sent.body, { sent: true, to: 'm***@example.org' });
    const code = await mailedCode(email);
    const verified = await client.via(lbB).post('/api/v1/login/email', { code });
    assert.equal(verified.status, 200, JSON.stringify(verified.body));
    const page = await fetch(new URL('/protected/app', lbA), {
      headers: { cookie: client.cookie as string },
    });
    assert.equal(await page.text(), `hello ${username}\n`);

    const thief = new HttpClient(lbA);
    await thief.post('/api/v1/login', { username, password: PASSWORD });
    const replayed = await thief.via(lbB).post('/api/v1/login/email', { code });
    assert.equal(replayed.status, 401);
    assert.equal(replayed.body.error.code, 'invalid_code');
  });

  it('the verify page offers "Email me a code" and signs in with it, and the sink page shows the mail', async () => {
    const username = `mailpage${Date.now()}`;
    const email = `${username}@example.org`;
    await registerAndEnrol(username, email);
    const { page, context, problems } = await phonePage(browser);

    await page.goto(new URL('/login', lbA).href);
    await page.fill('#username', username);
    await page.fill('#password', PASSWORD);
    await page.click('#login-submit');
    await page.waitForURL(/\/verify-2fa$/);
    await page.click('#use-email');
    assert.equal(await page.isVisible('#totp-form'), false);
    await page.click('#email-send');
    await page.locator('#notice', { hasText: 'We sent a code to m***@example.org' }).waitFor();
    await page.fill('#email-code', await mailedCode(email));
    await page.click('#email-submit');
    await page.waitForURL(/\/dashboard$/);
    await page.locator('#user-username', { hasText: username }).waitFor();

    await page.goto(`${cluster.mailUrl}?to=${encodeURIComponent(email)}`);
    assert.equal(await page.locator('article h2').first().textContent(), 'Your Twofold sign-in code');
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('the mail sink is a member: healthy in status, with its page', async () => {
    const mail = (await cluster.status()).find((member) => member.name === 'mail');
    assert.equal(mail?.healthy, true, JSON.stringify(mail));
    assert.equal(mail?.port, cluster.ports.mail.smtp);
    assert.match(mail?.detail ?? '', new RegExp(`:${cluster.ports.mail.http}/`));
  });
});
