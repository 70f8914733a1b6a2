import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { tooManyAttempts } from '../errors.ts';
import type { LoginStep } from '../plugins/external/metrics.ts';
import type { SessionData } from '../session-types.ts';
import { establishSession } from './sessions.ts';
import { attemptSubject } from './trusted-devices.ts';
import { usernameKey } from './usernames.ts';

type User = Pick<SessionData, 'userId' | 'username'>;

/** Whose budget a second-factor attempt spends: the account's, or this trusted browser's own. */
export async function secondFactorSubject(
  app: FastifyInstance,
  request: FastifyRequest,
  user: User,
): Promise<string> {
  const deviceId = await app.trustedDevices.recognise(request, usernameKey(user.username));
  return attemptSubject(user.userId, deviceId);
}

/** The account's failures across every second factor, from browsers not trusted for it. */
export const LONG_TERM_SCOPE = 'second-factor-long';

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
  step: LoginStep,
): Promise<SecondFactorAttempt> {
  const { limits } = app.config;
  const subject = await secondFactorSubject(app, request, user);
  const trusted = subject !== user.userId;
  // Both budgets are counted at once (one round trip of waiting, not two).
  const [verdict, longTerm] = await Promise.all([
    app.regulator.consume(step, subject, limits.secondFactorFailures, limits.lockoutSeconds),
    trusted
      ? undefined
      : app.regulator.consume(
          LONG_TERM_SCOPE,
          user.userId,
          limits.secondFactorFailuresLongTerm,
          limits.longTermSeconds,
        ),
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
        app.regulator.reset(step, subject),
        longTerm ? app.regulator.refund(LONG_TERM_SCOPE, user.userId) : undefined,
      ]);
    },
  };
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
      ...(provenAtLogin ? { secondFactorAt: Date.now() } : {}),
    },
    app.config.session.absoluteSeconds,
  );
  await app.trustedDevices.remember(request, reply, usernameKey(user.username));
}
