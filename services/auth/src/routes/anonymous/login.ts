import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { invalidCredentials, tooManyAttempts } from '../../errors.ts';
import { hasSecondFactor, offeredFactors } from '../../factors/registry.ts';
import { progressiveDelayMs, type Verdict } from '../../lib/regulator.ts';
import { establishSession } from '../../lib/sessions.ts';
import { attemptSubject } from '../../lib/trusted-browsers.ts';
import { usernameKey } from '../../lib/usernames.ts';
import { flagWeakPassword } from '../../lib/weak-password-at-login.ts';
import type { SessionState } from '../../session-types.ts';
import { requireSolvedChallenge } from './login-challenge.ts';

const LoginBody = Type.Object(
  {
    username: Type.String({ maxLength: 64 }),
    password: Type.String({ maxLength: 1024 }),
    /** A solved proof-of-work challenge (an ALTCHA payload), asked for past the account's budget. */
    pow: Type.Optional(Type.String({ maxLength: 4096 })),
  },
  { additionalProperties: false },
);

const LoginResponse = Type.Object({
  state: Type.Union([
    Type.Literal('mfa_required'),
    Type.Literal('enrollment_required'),
    Type.Literal('authenticated'),
  ]),
  factors: Type.Optional(Type.Array(Type.String())),
});

const UNCOUNTED: Verdict = { allowed: true, count: 0, retryAfterSeconds: 0 };

export const login: FastifyPluginAsyncTypebox = async (app) => {
  const { session } = app.config;

  app.post(
    '/api/v1/login',
    { schema: { body: LoginBody, response: { 200: LoginResponse } } },
    async (request) => {
      const key = usernameKey(request.body.username);
      // A browser that already completed a login for this account has a budget of its own.
      const browserId = await app.trustedBrowsers.recognise(request, key);
      const subject = attemptSubject(key, browserId);
      // Both budgets are counted at once (one round trip of waiting, not two).
      const [perAccount, perIp] = await Promise.all([
        app.regulator.consume('password', subject),
        // Never for a trusted browser: an address many people share (an office NAT) under attack
        // must not lock out those who logged in from it before; the browser's own budget holds it.
        browserId ? UNCOUNTED : app.regulator.consume('password-ip', request.ip),
      ]);
      // The per-address budget stays a hard limit; the account's lets a browser on at a price.
      if (!perAccount.allowed && !browserId && perIp.allowed) {
        await requireSolvedChallenge(app, request, key, request.body.pow, perAccount.retryAfterSeconds);
      } else if (!perAccount.allowed || !perIp.allowed) {
        const retryAfter = Math.max(
          perAccount.allowed ? 0 : perAccount.retryAfterSeconds,
          perIp.allowed ? 0 : perIp.retryAfterSeconds,
        );
        await app.recordStep(request, {
          step: 'password',
          result: 'locked',
          username: key,
          detail: { byAccount: !perAccount.allowed, byIp: !perIp.allowed, trustedDevice: Boolean(browserId) },
        });
        throw tooManyAttempts(retryAfter);
      }
      // Each failure beyond the first few makes the next attempt wait longer, on every replica alike.
      const delay = progressiveDelayMs(perAccount.count);
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));

      const user = await app.users.findByUsernameKey(key);
      // Unknown users cost a real argon2 verification too, so timing does not reveal who exists.
      const valid = user
        ? await app.passwords.verify(user.passwordHash, request.body.password)
        : await app.passwords.verifyDummy(request.body.password);
      if (!user || !valid) {
        await app.recordStep(request, {
          step: 'password',
          result: 'failure',
          userId: user?.id ?? null,
          username: key,
          detail: { reason: user ? 'wrong_password' : 'no_such_user' },
        });
        throw invalidCredentials();
      }

      const [stored] = await Promise.all([
        app.factorFacts.of(user.id),
        // Past the budget the count is mostly an attacker's: a success must not hand them a fresh budget.
        perAccount.allowed ? app.regulator.reset('password', subject) : undefined,
        // The per-IP budget counts failures only: many people may share one address.
        browserId ? undefined : app.regulator.refund('password-ip', request.ip),
        flagWeakPassword(app.users, user, request.body.password),
      ]);
      if (app.passwords.needsRehash(user.passwordHash)) {
        await app.users.updatePasswordHash(user.id, await app.passwords.hash(request.body.password));
        request.log.info({ userId: user.id }, 'password rehashed with the current parameters');
      }
      const facts = { ...stored, email: user.email };
      const state: SessionState = hasSecondFactor(facts)
        ? 'password_verified'
        : app.config.require2fa
          ? 'enrollment_required'
          : 'authenticated';
      await establishSession(
        request,
        { userId: user.id, username: user.username, state },
        session.absoluteSeconds,
      );
      await app.recordStep(request, {
        step: 'password',
        result: 'success',
        userId: user.id,
        username: user.username,
      });
      if (state === 'password_verified') {
        return { state: 'mfa_required' as const, factors: offeredFactors(facts, app) };
      }
      return { state };
    },
  );
};
