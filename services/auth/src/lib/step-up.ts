import type { FastifyInstance, FastifyRequest } from 'fastify';
import { invalidCredentials, tooManyAttempts } from '../errors.ts';
import type { LoginStep } from '../plugins/external/metrics.ts';
import type { SessionData } from '../session-types.ts';
import { hashRecoveryCode, normalizeRecoveryCode } from './recovery-codes.ts';
import { checkTotpCode } from './totp-check.ts';

/**
 * Re-proving who one is inside an authenticated session (account changes, pairing a phone). Every
 * such check spends from one budget per user, so these pages are no way around the login limits.
 */
export async function spendStepUp(
  app: FastifyInstance,
  request: FastifyRequest,
  user: SessionData,
  step: LoginStep,
): Promise<void> {
  const { limits } = app.config;
  const verdict = await app.regulator.consume(
    'step-up',
    user.userId,
    limits.secondFactorFailures,
    limits.lockoutSeconds,
  );
  if (!verdict.allowed) {
    await app.recordStep(request, { step, result: 'locked', userId: user.userId, username: user.username });
    throw tooManyAttempts(verdict.retryAfterSeconds);
  }
}

export async function checkPassword(app: FastifyInstance, userId: string, password: string) {
  const user = await app.users.findById(userId);
  if (!user || !(await app.passwords.verify(user.passwordHash, password))) throw invalidCredentials();
  return user;
}

/** A code from the authenticator app, or else one of the recovery codes (spent if it matches). */
export async function checkSecondFactor(
  app: FastifyInstance,
  request: FastifyRequest,
  userId: string,
  code: string,
) {
  if ((await checkTotpCode(app, request, userId, code)) === 'accepted') return 'totp';
  const recovery = normalizeRecoveryCode(code);
  if (recovery && (await app.recoveryCodes.consume(userId, hashRecoveryCode(recovery)))) return 'recovery';
  return undefined;
}
