import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ApiError, tooManyAttempts, unauthenticated } from '../../errors.ts';
import type { BudgetScope } from '../../factors/budgets.ts';
import { emailFactor } from '../../factors/email.ts';
import { signInWithFactor } from '../../factors/login-attempt.ts';
import { hashOneTimeCode, maskEmail, newOneTimeCode, oneTimeCodeKey } from '../../lib/one-time-codes.ts';
import { currentUser } from '../../lib/sessions.ts';
import { MailUnavailableError } from '../../plugins/external/mailer.ts';
import { CodeBody, EmptyBody, StateResponse } from '../../schemas.ts';

const SendResponse = Type.Object({ sent: Type.Literal(true), to: Type.String() });

const noEmail = () => new ApiError(400, 'no_email', 'Your account has no email address to send a code to.');
/** With a Retry-After when the SMTP server failed (it may come back), none when email is switched off. */
const emailUnavailable = (retryAfterSeconds?: number) =>
  new ApiError(
    503,
    'email_unavailable',
    'Email codes are not available right now. Use another method.',
    retryAfterSeconds ? { 'retry-after': String(retryAfterSeconds) } : {},
  );

/** The fallback factor: a 6-digit code mailed to the account's address, single use and short-lived. */
export const loginEmail: FastifyPluginAsyncTypebox = async (app) => {
  const { mail } = app.config;
  const key = oneTimeCodeKey(app.config.sessionSecret);

  app.post(
    '/api/v1/login/email/send',
    { schema: { body: EmptyBody, response: { 200: SendResponse } } },
    async (request, reply) => {
      const user = currentUser(request);
      if (!app.mailer.enabled) throw emailUnavailable();
      const account = await app.users.findById(user.userId);
      if (!account) throw unauthenticated();
      if (!account.email) throw noEmail();
      // Every send counts, not only failures: each one mails a real person. Per account, and per
      // address too: addresses are not verified, so many accounts could otherwise mail one person.
      const recipient = account.email.toLowerCase();
      const budgets: Array<[BudgetScope, string]> = [
        ['email-send', user.userId],
        ['email-recipient', recipient],
      ];
      const verdicts = [];
      for (const [scope, subject] of budgets) {
        verdicts.push(await app.regulator.consume(scope, subject));
      }
      const refused = verdicts.filter((v) => !v.allowed);
      if (refused.length > 0) {
        await app.recordStep(request, { step: 'email-send', result: 'locked', ...user });
        throw tooManyAttempts(Math.max(...refused.map((v) => v.retryAfterSeconds)));
      }
      const code = newOneTimeCode();
      await app.oneTimeCodes.create({
        id: randomUUID(),
        userId: user.userId,
        channel: 'email',
        codeHash: hashOneTimeCode(key, user.userId, code),
        ttlSeconds: mail.codeTtlSeconds,
      });
      try {
        await app.mailer.sendEmailCode(account.email, code, account.username);
      } catch (error) {
        if (!(error instanceof MailUnavailableError)) throw error;
        request.log.warn({ err: error, userId: user.userId }, 'email code not sent');
        // The mail never left: it must not use up the user's sends.
        for (const [scope, subject] of budgets) await app.regulator.refund(scope, subject);
        await app.recordStep(request, { step: 'email-send', result: 'failure', ...user });
        throw emailUnavailable(30);
      }
      await app.recordStep(request, { step: 'email-send', result: 'success', ...user });
      reply.header('cache-control', 'no-store');
      return { sent: true as const, to: maskEmail(account.email) };
    },
  );

  app.post(
    '/api/v1/login/email',
    { schema: { body: CodeBody, response: { 200: StateResponse } } },
    (request, reply) => signInWithFactor(app, request, reply, emailFactor, request.body.code),
  );
};
