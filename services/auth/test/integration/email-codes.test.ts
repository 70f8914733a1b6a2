import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, describe, it, type TestContext } from 'node:test';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { createTestDatabase, freePort } from '../../../../test/support/services.ts';
import { type MailSink, startMailSink } from '../../../mailsink/src/mail-sink.ts';
import { buildApp } from '../../src/app.ts';
import { type MailConfig, mailConfigFrom } from '../../src/config-mail.ts';
import { hashOneTimeCode, oneTimeCodeKey } from '../../src/lib/one-time-codes.ts';
import { testConfig } from '../helpers/build-app.ts';
import { expectStatus, PASSWORD, previousStepCode, TestClient, uniqueUsername } from '../helpers/client.ts';

function mailConfig(smtpPort: number | undefined, overrides: Partial<MailConfig> = {}): MailConfig {
  return {
    ...mailConfigFrom({
      TWOFOLD_SMTP_HOST: '127.0.0.1',
      TWOFOLD_SMTP_PORT: smtpPort,
      TWOFOLD_SMTP_FROM: 'Twofold <no-reply@twofold.local>',
      TWOFOLD_EMAIL_CODE_TTL_SECONDS: 600,
      TWOFOLD_EMAIL_CODE_MAX_SENDS: 3,
      TWOFOLD_EMAIL_CODE_SEND_WINDOW_SECONDS: 900,
    }),
    ...overrides,
  };
}

/** An app whose config carries `mail`, on its own database (or the given one). */
async function buildEmailApp(
  t: { after: (fn: () => Promise<unknown>) => unknown },
  mail: MailConfig,
  databaseUrl?: string,
): Promise<FastifyInstance> {
  const config = await testConfig({ mail }, databaseUrl);
  const app = await buildApp(config);
  t.after(() => app.close());
  await app.ready();
  return app;
}

interface EmailUser {
  username: string;
  email: string;
  userId: string;
}

/** Registers with an email address and enrols TOTP: the account's second factors are TOTP and email. */
async function enrolledWithEmail(app: FastifyInstance, email?: string): Promise<EmailUser> {
  const username = uniqueUsername('mail');
  const address = email ?? `${username.toLowerCase()}@example.org`;
  const client = new TestClient(app);
  const registered = expectStatus(
    await client.post('/api/v1/register', {
      username,
      password: PASSWORD,
      ...(email === '' ? {} : { email: address }),
    }),
    201,
  ).json();
  expectStatus(await client.post('/api/v1/login', { username, password: PASSWORD }), 200);
  const enrol = expectStatus(await client.post('/api/v1/totp/enroll'), 200).json();
  expectStatus(
    await client.post('/api/v1/totp/confirm', { code: await previousStepCode(enrol.secret) }),
    200,
  );
  return { username, email: address, userId: registered.user.id };
}

/** A browser that has proven the password and now awaits a second factor. */
async function passwordVerified(app: FastifyInstance, username: string) {
  const client = new TestClient(app);
  const login = expectStatus(
    await client.post('/api/v1/login', { username, password: PASSWORD }),
    200,
  ).json();
  assert.equal(login.state, 'mfa_required');
  return { client, login };
}

/** The code in the newest mail the sink caught for `to`, read over its HTTP API. */
async function mailedCode(sink: MailSink, to: string): Promise<string> {
  const response = await fetch(new URL(`/api/messages?to=${encodeURIComponent(to)}`, sink.url));
  const [mail] = (await response.json()) as Array<{ subject: string; text: string; from: string }>;
  assert.ok(mail, `no mail to ${to}`);
  const code = /code is: (\d{6})\b/.exec(mail.text)?.[1];
  assert.ok(code, `no code in ${JSON.stringify(mail.text)}`);
  return code;
}

const otherCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

describe('email one-time codes through the SMTP sink', async () => {
  const sink = await startMailSink();
  after(() => sink.close());
  const databaseUrl = await createTestDatabase('email_codes');
  const app = await buildEmailApp({ after }, mailConfig(sink.smtpPort), databaseUrl);

  it('logs in with password + a mailed code; the code works once', async () => {
    const user = await enrolledWithEmail(app);
    const { client } = await passwordVerified(app, user.username);
    const sent = expectStatus(await client.post('/api/v1/login/email/send', {}), 200);
    assert.deepEqual(sent.json(), { sent: true, to: `${user.email[0]}***@example.org` });
    assert.equal(sent.headers['cache-control'], 'no-store');
    const code = await mailedCode(sink, user.email);
    const [mail] = sink.store.list(user.email);
    assert.equal(mail?.from, '"Twofold" <no-reply@twofold.local>');
    assert.ok(!mail?.subject.includes(code), 'the code stays out of the subject');
    assert.ok(mail?.text.includes(user.username));

    const wrong = await client.post('/api/v1/login/email', { code: otherCode(code) });
    assert.equal(wrong.statusCode, 401);
    assert.equal(wrong.json().error.code, 'invalid_code');
    const passwordSession = client.cookie;
    assert.deepEqual(
      expectStatus(
        await client.post('/api/v1/login/email', { code: ` ${code.slice(0, 3)} ${code.slice(3)} ` }),
        200,
      ).json(),
      { state: 'authenticated' },
    );
    assert.notEqual(client.cookie, passwordSession, 'a new session id after the second factor');
    assert.equal(expectStatus(await client.get('/api/v1/session'), 200).json().state, 'authenticated');

    const again = (await passwordVerified(app, user.username)).client;
    const replay = await again.post('/api/v1/login/email', { code });
    assert.equal(replay.statusCode, 401);
    assert.equal(replay.json().error.code, 'invalid_code');
  });

  it('offers the email factor at the password step to an account with an email address', async () => {
    const user = await enrolledWithEmail(app);
    const { login } = await passwordVerified(app, user.username);
    assert.deepEqual(login.factors, ['totp', 'recovery', 'email']);
  });

  it('a new code replaces the one before it', async () => {
    const user = await enrolledWithEmail(app);
    const { client } = await passwordVerified(app, user.username);
    expectStatus(await client.post('/api/v1/login/email/send'), 200);
    const first = await mailedCode(sink, user.email);
    expectStatus(await client.post('/api/v1/login/email/send'), 200);
    const second = await mailedCode(sink, user.email);
    if (first !== second)
      assert.equal((await client.post('/api/v1/login/email', { code: first })).statusCode, 401);
    expectStatus(await client.post('/api/v1/login/email', { code: second }), 200);
  });

  it('the same code sent from two sessions at once wins exactly once', async () => {
    const user = await enrolledWithEmail(app);
    const a = (await passwordVerified(app, user.username)).client;
    const b = (await passwordVerified(app, user.username)).client;
    expectStatus(await a.post('/api/v1/login/email/send'), 200);
    const code = await mailedCode(sink, user.email);
    const results = await Promise.all([a, b].map((c) => c.post('/api/v1/login/email', { code })));
    assert.deepEqual(results.map((r) => r.statusCode).sort(), [200, 401]);
  });

  it('limits sends per account: 429 with Retry-After past the limit', async () => {
    const user = await enrolledWithEmail(app);
    const { client } = await passwordVerified(app, user.username);
    for (let i = 0; i < 3; i += 1) expectStatus(await client.post('/api/v1/login/email/send'), 200);
    const refused = await client.post('/api/v1/login/email/send');
    assert.equal(refused.statusCode, 429);
    assert.equal(refused.json().error.code, 'too_many_attempts');
    assert.ok(Number(refused.headers['retry-after']) > 0);
    assert.equal(sink.store.list(user.email).length, 3, 'no mail for the refused send');
  });

  it('limits sends per address too: many accounts cannot mail one person without end', async () => {
    const shared = `shared${Date.now()}@example.org`;
    const first = await enrolledWithEmail(app, shared);
    const second = await enrolledWithEmail(app, shared.toUpperCase());
    const one = (await passwordVerified(app, first.username)).client;
    for (let i = 0; i < 3; i += 1) expectStatus(await one.post('/api/v1/login/email/send'), 200);
    const other = (await passwordVerified(app, second.username)).client;
    assert.equal((await other.post('/api/v1/login/email/send')).statusCode, 429);
  });

  it('locks the email factor after too many wrong codes, even for the right one', async () => {
    const user = await enrolledWithEmail(app);
    const { client } = await passwordVerified(app, user.username);
    expectStatus(await client.post('/api/v1/login/email/send'), 200);
    const code = await mailedCode(sink, user.email);
    for (let i = 0; i < 5; i += 1) {
      assert.equal((await client.post('/api/v1/login/email', { code: otherCode(code) })).statusCode, 401);
    }
    const locked = await client.post('/api/v1/login/email', { code });
    assert.equal(locked.statusCode, 429);
    assert.ok(Number(locked.headers['retry-after']) > 0);
  });

  it('answers 400 no_email to an account without an email address, and does not offer the factor', async () => {
    const user = await enrolledWithEmail(app, '');
    const { client, login } = await passwordVerified(app, user.username);
    assert.ok(!login.factors.includes('email'));
    const response = await client.post('/api/v1/login/email/send');
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().error.code, 'no_email');
  });

  it('needs a password-verified session', async () => {
    assert.equal((await new TestClient(app).post('/api/v1/login/email/send')).statusCode, 401);
    assert.equal((await new TestClient(app).post('/api/v1/login/email', { code: '123456' })).statusCode, 401);
  });

  it('stores the code only as an HMAC, never in clear or as a plain hash', async () => {
    const user = await enrolledWithEmail(app);
    const { client } = await passwordVerified(app, user.username);
    expectStatus(await client.post('/api/v1/login/email/send'), 200);
    const code = await mailedCode(sink, user.email);
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      const { rows } = await db.query(
        `SELECT code_hash, expires_at - created_at AS ttl, row_to_json(e)::text AS json
         FROM one_time_codes e WHERE user_id = $1 AND used_at IS NULL`,
        [user.userId],
      );
      assert.equal(rows.length, 1);
      const [row] = rows;
      assert.equal(row.code_hash.length, 32);
      assert.ok(!row.json.includes(`"${code}"`) && !row.code_hash.includes(Buffer.from(code)));
      assert.ok(!row.code_hash.equals(createHash('sha256').update(code).digest()), 'not a plain SHA-256');
      assert.ok(
        row.code_hash.equals(hashOneTimeCode(oneTimeCodeKey(app.config.sessionSecret), user.userId, code)),
      );
      assert.equal(row.ttl.minutes, 10);
    } finally {
      await db.end();
    }
  });
});

describe('email codes: expiry and an unavailable SMTP server', () => {
  it('refuses an expired code', async (t: TestContext) => {
    const sink = await startMailSink();
    t.after(() => sink.close());
    const app = await buildEmailApp(t, mailConfig(sink.smtpPort, { codeTtlSeconds: 1 }));
    const user = await enrolledWithEmail(app);
    const { client } = await passwordVerified(app, user.username);
    expectStatus(await client.post('/api/v1/login/email/send'), 200);
    const code = await mailedCode(sink, user.email);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const expired = await client.post('/api/v1/login/email', { code });
    assert.equal(expired.statusCode, 401);
    assert.equal(expired.json().error.code, 'invalid_code');
  });

  it('answers 503 email_unavailable when the SMTP server is down, without spending a send', async (t: TestContext) => {
    const app = await buildEmailApp(t, mailConfig(await freePort(), { maxSends: 1 }));
    const user = await enrolledWithEmail(app);
    const { client } = await passwordVerified(app, user.username);
    for (let i = 0; i < 2; i += 1) {
      const response = await client.post('/api/v1/login/email/send');
      assert.equal(response.statusCode, 503);
      assert.equal(response.json().error.code, 'email_unavailable');
      assert.ok(Number(response.headers['retry-after']) > 0);
    }
  });

  it('answers 503 email_unavailable and does not offer the factor when SMTP is not configured', async (t: TestContext) => {
    const app = await buildEmailApp(t, mailConfig(undefined));
    const user = await enrolledWithEmail(app);
    const { client, login } = await passwordVerified(app, user.username);
    assert.ok(!login.factors.includes('email'));
    const response = await client.post('/api/v1/login/email/send');
    assert.equal(response.statusCode, 503);
    assert.equal(response.json().error.code, 'email_unavailable');
    assert.equal(response.headers['retry-after'], undefined);
  });
});
