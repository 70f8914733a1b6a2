import type { FastifyInstance } from 'fastify';
import { invalidCredentials, tooManyAttempts } from '../errors.ts';

/**
 * Re-proving who one is inside an authenticated session (account changes, pairing a phone). Every
 * such check spends from one budget per user, so these pages are no way around the login limits.
 */
export async function spendStepUp(app: FastifyInstance, userId: string): Promise<void> {
  const { limits } = app.config;
  const verdict = await app.regulator.consume(
    'step-up',
    userId,
    limits.secondFactorFailures,
    limits.lockoutSeconds,
  );
  if (!verdict.allowed) throw tooManyAttempts(verdict.retryAfterSeconds);
}

export async function checkPassword(app: FastifyInstance, userId: string, password: string) {
  const user = await app.users.findById(userId);
  if (!user || !(await app.passwords.verify(user.passwordHash, password))) throw invalidCredentials();
  return user;
}
