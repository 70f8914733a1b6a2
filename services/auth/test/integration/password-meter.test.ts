// Issue 9 §5: the register and account pages show the password's strength as the user types
// (zxcvbn-ts), and the meter refuses exactly what the server refuses. In headless Chromium against
// one replica; the page's CSP must let it all run without a violation.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dictionary } from '@zxcvbn-ts/language-common';
import bcrypt from 'bcryptjs';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, phonePage } from '../../../../test/support/browser.ts';
import { importUsers, parseImport } from '../../src/admin/user-import.ts';
import { newPasswordProblem } from '../../src/lib/password-policy.ts';
import { buildTestApp } from '../helpers/build-app.ts';
import { expectStatus, previousStepCode, totpCode, uniqueUsername } from '../helpers/client.ts';

const STRONG = 'correct horse battery staple';

/** "ｐａｓｓｗｏｒｄ" for "password": the same password typed on another keyboard, equal after NFKC. */
const fullWidth = (text: string) =>
  text.replace(/[a-z0-9]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));

async function typePassword(page: Page, selector: string, password: string) {
  await page.fill(selector, '');
  await page.locator(selector).pressSequentially(password);
}

async function verdict(page: Page, meter: string, expected: RegExp) {
  const text = page.locator(`${meter} .strength-text`);
  await text.filter({ hasText: expected }).waitFor();
  return { text: (await text.textContent()) ?? '', level: await page.getAttribute(meter, 'data-level') };
}

describe('the password strength meter in headless Chromium', () => {
  let app: FastifyInstance;
  let browser: Browser;
  let base: string;

  const closers: Array<() => Promise<unknown>> = [];

  before(async () => {
    app = await buildTestApp({ after: (fn) => closers.push(fn) });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    for (const close of closers) await close();
  });

  it('on the register page: a common password is refused as too common, a strong one is strong', async () => {
    const { page, context, problems } = await phonePage(browser);
    const registrations: string[] = [];
    page.on('request', (request) => {
      if (request.url().endsWith('/api/v1/register')) registrations.push(request.method());
    });
    await page.goto(new URL('/register', base).href);
    const live = page.locator('#password-strength-text');
    assert.equal(await live.getAttribute('aria-live'), 'polite');
    assert.match((await page.getAttribute('#password', 'aria-describedby')) ?? '', /password-strength-text/);
    const username = uniqueUsername('meter');
    await page.fill('#username', username);

    await typePassword(page, '#password', 'short');
    assert.deepEqual(await verdict(page, '#password-strength', /Too short/), {
      text: 'Too short: Use at least 10 characters.',
      level: 'refused',
    });
    await typePassword(page, '#password', 'password123');
    const common = await verdict(page, '#password-strength', /Too common/);
    assert.equal(common.level, 'refused');
    assert.match(common.text, /one of the most common ones/);

    // Refused on the page: no registration attempt is spent on it.
    await page.click('#register-submit');
    await page.locator('#error', { hasText: 'one of the most common ones' }).waitFor();
    assert.equal(await page.getAttribute('#password', 'aria-invalid'), 'true');
    assert.deepEqual(registrations, []);

    await typePassword(page, '#password', `${username}!2026`);
    assert.equal((await verdict(page, '#password-strength', /username/)).level, 'refused');
    await typePassword(page, '#password', STRONG);
    const strong = await verdict(page, '#password-strength', /^(Strong|Very strong)\./);
    assert.match(strong.level ?? '', /^(strong|very-strong)$/);

    await page.click('#register-submit');
    await page.waitForURL(/\/setup-2fa$/);
    assert.deepEqual(registrations, ['POST']);
    assert.deepEqual(problems, []);
    const vendor = await page.request.get(new URL('/static/vendor/zxcvbn-ts/core.js', base).href);
    assert.equal(vendor.status(), 200);
    assert.match(vendor.headers()['cache-control'] ?? '', /max-age=86400/);
    assert.match(vendor.headers()['content-type'] ?? '', /javascript/);
    await context.close();
  });

  it('agrees with the server on every common password and on the other rules', async () => {
    const { page, context, problems } = await phonePage(browser);
    await page.goto(new URL('/register', base).href);
    await page.focus('#password'); // loads zxcvbn-ts
    await page.waitForFunction(
      () => (globalThis as { zxcvbnts?: { 'language-en'?: unknown } }).zxcvbnts?.['language-en'],
    );
    const username = 'Alice.Smith';
    const common = dictionary['passwords-common'] as string[];
    const samples = [
      ...common,
      ...common.map((p) => p.toUpperCase()),
      ...common.map((p) => `${p}!`),
      ...common.map((p) => p.split('').join(' ')),
      ...common.slice(0, 500).map(fullWidth),
      `my ${username.toLowerCase()} pass`,
      `ＡＬＩＣＥ.ＳＭＩＴＨ and more`,
      'ééééééééééé',
      '🙂'.repeat(12),
      'x'.repeat(257),
      `${STRONG} `.repeat(9),
      STRONG,
    ];
    // As one JSON string each way: playwright's own serialisation of 200,000 strings takes long.
    const answers = await page.evaluate(
      ({ json, username }) => {
        const { TwofoldPasswordPolicy, zxcvbnts } = globalThis as unknown as {
          TwofoldPasswordPolicy: { passwordProblem: (p: string, u: string, c: string[]) => unknown };
          zxcvbnts: { 'language-common': { dictionary: Record<string, string[]> } };
        };
        const list = zxcvbnts['language-common'].dictionary['passwords-common'] as string[];
        const problems = (JSON.parse(json) as string[]).map((p) => {
          const problem = TwofoldPasswordPolicy.passwordProblem(p, username, list) as
            | { code: string; message: string }
            | undefined;
          return problem ? { code: problem.code, message: problem.message } : null;
        });
        return JSON.stringify(problems);
      },
      { json: JSON.stringify(samples), username },
    );
    const inBrowser = JSON.parse(answers) as unknown[];
    const disagreements = samples.filter((password, i) => {
      const server = newPasswordProblem(password, username);
      return JSON.stringify(server ?? null) !== JSON.stringify(inBrowser[i]);
    });
    assert.deepEqual(disagreements.slice(0, 10), []);
    assert.ok(inBrowser.filter((p) => p === null).length > 1000, 'some samples are accepted by both');
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('on the account page: a flagged account is asked to change its password; the change clears the prompt', async () => {
    const username = uniqueUsername('flagged');
    const weak = 'qwertyuiop';
    await importUsers(
      app.users,
      parseImport(JSON.stringify([{ username, passwordHash: bcrypt.hashSync(weak, 8) }])),
    );
    const { page, context, problems } = await phonePage(browser);
    const url = (path: string) => new URL(path, base).href;
    const login = await page.request.post(url('/api/v1/login'), { data: { username, password: weak } });
    assert.equal((await login.json()).state, 'enrollment_required');
    const { secret } = await (await page.request.post(url('/api/v1/totp/enroll'), { data: {} })).json();
    const confirm = await page.request.post(url('/api/v1/totp/confirm'), {
      data: { code: await previousStepCode(secret) },
    });
    assert.equal(confirm.status(), 200);

    await page.goto(url('/dashboard'));
    await page.locator('#password-change-required').waitFor();
    await page.click('#password-change-required a');
    await page.waitForURL(/\/account#password-title$/);
    const prompt = page.locator('#password-change-required');
    await prompt.waitFor();
    await page.waitForFunction(
      () =>
        (globalThis as { document?: { activeElement: { id: string } | null } }).document?.activeElement
          ?.id === 'password-change-required',
    );

    await page.fill('#current-password', weak);
    await typePassword(page, '#new-password', 'iloveyou123');
    assert.equal((await verdict(page, '#new-password-strength', /Too common/)).level, 'refused');
    await typePassword(page, '#new-password', STRONG);
    await verdict(page, '#new-password-strength', /strong/i);
    await page.fill('#password-code', await totpCode(secret));
    await page.click('#password-submit');
    await page.locator('#notice', { hasText: 'Your password has been changed' }).waitFor();
    await prompt.waitFor({ state: 'hidden' });
    assert.equal(
      await page.getAttribute('#new-password-strength', 'data-level'),
      'none',
      'cleared by the reset',
    );
    await page.goto(url('/dashboard'));
    await page.locator('#user-username', { hasText: username }).waitFor();
    assert.equal(await page.isVisible('#password-change-required'), false);
    expectStatus(
      await app.inject({ method: 'POST', url: '/api/v1/login', payload: { username, password: STRONG } }),
      200,
    );
    assert.deepEqual(problems, []);
    await context.close();
  });
});
