import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Static } from '@sinclair/typebox';
import { ConfigError, loadEnv } from '../../../common/src/env-loader.ts';
import { MailEnvSchema, mailConfigFrom } from '../../src/config-mail.ts';
import { hashOneTimeCode, maskEmail, newOneTimeCode, oneTimeCodeKey } from '../../src/lib/one-time-codes.ts';
import { createMailer, MailUnavailableError } from '../../src/plugins/external/mailer.ts';

const mailConfig = (env: Record<string, string>) =>
  mailConfigFrom(loadEnv(MailEnvSchema, env) as Static<typeof MailEnvSchema>);

describe('email code settings', () => {
  it('are off without an SMTP port, with the documented defaults', () => {
    assert.deepEqual(mailConfig({}), {
      smtp: null,
      from: 'Twofold <no-reply@twofold.local>',
      codeTtlSeconds: 600,
      maxSends: 3,
      sendWindowSeconds: 900,
    });
  });

  it('are on with a port, on 127.0.0.1 unless told otherwise', () => {
    assert.deepEqual(mailConfig({ TWOFOLD_SMTP_PORT: '2525' }).smtp, { host: '127.0.0.1', port: 2525 });
    const custom = mailConfig({ TWOFOLD_SMTP_PORT: '25', TWOFOLD_SMTP_HOST: 'mail.internal' });
    assert.deepEqual(custom.smtp, { host: 'mail.internal', port: 25 });
  });

  it('name the variable that is wrong', () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ TWOFOLD_SMTP_PORT: 'smtp' }, /^TWOFOLD_SMTP_PORT: invalid/],
      [{ TWOFOLD_SMTP_PORT: '70000' }, /^TWOFOLD_SMTP_PORT: invalid/],
      [{ TWOFOLD_EMAIL_CODE_TTL_SECONDS: '5' }, /^TWOFOLD_EMAIL_CODE_TTL_SECONDS: invalid/],
      [{ TWOFOLD_EMAIL_CODE_MAX_SENDS: '0' }, /^TWOFOLD_EMAIL_CODE_MAX_SENDS: invalid/],
      [{ TWOFOLD_SMTP_FROM: 'nobody' }, /^TWOFOLD_SMTP_FROM: invalid/],
    ];
    for (const [env, message] of cases) {
      assert.throws(
        () => mailConfig(env),
        (error: unknown) => error instanceof ConfigError && message.test(error.message),
      );
    }
  });
});

describe('email codes', () => {
  it('are six digits, leading zeros kept, and vary', () => {
    const codes = Array.from({ length: 2000 }, newOneTimeCode);
    for (const code of codes) assert.match(code, /^\d{6}$/);
    assert.ok(new Set(codes).size > 1990);
    assert.ok(codes.some((code) => code.startsWith('0')));
  });

  it('are hashed with a key from the session secret, bound to the user', () => {
    const key = oneTimeCodeKey('s'.repeat(32));
    const hash = hashOneTimeCode(key, 'user-1', '123456');
    assert.equal(hash.length, 32);
    assert.ok(hash.equals(hashOneTimeCode(key, 'user-1', '123456')));
    assert.ok(!hash.equals(hashOneTimeCode(key, 'user-2', '123456')));
    assert.ok(!hash.equals(hashOneTimeCode(oneTimeCodeKey('t'.repeat(32)), 'user-1', '123456')));
  });

  it('addresses are masked down to a first letter and the domain', () => {
    assert.equal(maskEmail('alice@example.org'), 'a***@example.org');
    assert.equal(maskEmail('b@x.io'), 'b***@x.io');
    assert.equal(maskEmail('odd'), '***');
  });

  it('a mailer without SMTP is disabled and refuses to send', async () => {
    const mailer = createMailer(mailConfig({}));
    assert.equal(mailer.enabled, false);
    await assert.rejects(mailer.sendEmailCode('a@example.org', '123456', 'alice'), MailUnavailableError);
  });
});
