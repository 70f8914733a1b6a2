import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { invalidCode, tooManyAttempts } from '../errors.ts';
import { currentUser, establishSession } from '../lib/sessions.ts';
import { attemptSubject } from '../lib/trusted-browsers.ts';
import { usernameKey } from '../lib/usernames.ts';
import type { SessionData } from '../session-types.ts';
import type { CheckedFactor, Factor } from './factor.ts';

type User = Pick<SessionData, 'userId' | 'username'>;

/** Whose budget a second-factor attempt spends: the account's, or this trusted browser's own. */
export async function secondFactorSubject(
  app: FastifyInstance,
  request: FastifyRequest,
  user: User,
): Promise<string> {
  const browserId = await app.trustedBrowsers.recognise(request, usernameKey(user.username));
  return attemptSubject(user.userId, browserId);
}

/** The account's failures across every second factor, from browsers not trusted for it. */
export const LONG_TERM_SCOPE = 'second-factor-long' as const;

export interface SecondFactorAttempt {
  /** Whose budget of this factor was spent: the account's, or this trusted browser's own. */
  subject: string;
  /** The code was right: the factor's budget starts again, and this attempt is given back. */
  succeeded(): Promise<void>;
}

/**
 * Spends one attempt of a second factor, before its check and atomically (parallel guesses cannot
 * slip past a limit): the factor's own budget (5 per 15 minutes), and, from a browser not trusted
 * for the account, the account's long-term budget across all factors (NIST SP 800-63B: 100
 * failures in 30 days). Past the long-term cap a second factor is taken only from a trusted browser
 * or after an operator's `twofold bans lift`; a success gives back only its own attempt, so the
 * rightful user signing in elsewhere does not refill an attacker's budget.
 */
export async function spendSecondFactorAttempt(
  app: FastifyInstance,
  request: FastifyRequest,
  user: User,
  factor: Factor,
): Promise<SecondFactorAttempt> {
  const { step, budget } = factor;
  const subject = await secondFactorSubject(app, request, user);
  const trusted = subject !== user.userId;
  // Both budgets are counted at once (one round trip of waiting, not two).
  const [verdict, longTerm] = await Promise.all([
    app.regulator.consume(budget, subject),
    trusted ? undefined : app.regulator.consume(LONG_TERM_SCOPE, user.userId),
  ]);
  if (!verdict.allowed || (longTerm && !longTerm.allowed)) {
    await app.recordStep(request, {
      step,
      result: 'locked',
      ...user,
      detail: longTerm && !longTerm.allowed ? { longTerm: true } : undefined,
    });
    throw tooManyAttempts(verdict.allowed ? (longTerm?.retryAfterSeconds ?? 1) : verdict.retryAfterSeconds);
  }
  return {
    subject,
    succeeded: async () => {
      await Promise.all([
        app.regulator.reset(budget, subject),
        longTerm ? app.regulator.refund(LONG_TERM_SCOPE, user.userId) : undefined,
      ]);
    },
  };
}

/**
 * The login's second step with a factor checked in one request: the attempt is spent before the
 * check (factor budget and long-term cap), a failure is recorded and answered uniformly, a success
 * gives the attempt back, regenerates the session as fully signed in and trusts this browser.
 */
export async function signInWithFactor<Input>(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  factor: CheckedFactor<Input>,
  input: Input,
): Promise<{ state: 'authenticated' }> {
  const user = currentUser(request);
  const attempt = await spendSecondFactorAttempt(app, request, user, factor);
  const verdict = await factor.verify(app, request, user, input);
  if (!verdict.ok) {
    await app.recordStep(request, { step: factor.step, result: 'failure', ...user, detail: verdict.detail });
    throw invalidCode();
  }
  await attempt.succeeded();
  await completeLogin(app, request, reply, user, factor);
  await app.recordStep(request, { step: factor.step, result: 'success', ...user });
  return { state: 'authenticated' };
}

/**
 * Both factors proven: a fully authenticated session under a new id, and this browser trusted.
 * Only a second factor checked at the login step (a session still `password_verified`, i.e. the
 * password was just proven for an account that has a factor) is recorded as proven on the session
 * (`secondFactorAt`); confirming a new authenticator also ends here, but proves only the password.
 */
export async function completeLogin(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  user: User,
  factor: Pick<Factor, 'amr'>,
) {
  const provenAtLogin = request.session.state === 'password_verified';
  // On the regenerated session, in its one write: the proof goes with the new id, never with the
  // one it replaced.
  await establishSession(
    request,
    {
      userId: user.userId,
      username: user.username,
      state: 'authenticated',
      ...(provenAtLogin ? { secondFactorAt: Date.now(), amr: ['pwd', factor.amr] } : {}),
    },
    app.config.session.absoluteSeconds,
  );
  await app.trustedBrowsers.remember(request, reply, usernameKey(user.username));
}
