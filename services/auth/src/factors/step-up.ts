import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { ApiError, invalidCode, invalidCredentials, tooManyAttempts } from '../errors.ts';
import { currentUser } from '../lib/sessions.ts';
import type { LoginStep } from '../plugins/external/metrics.ts';
import { recoveryFactor } from './recovery.ts';
import { hasSecondFactor } from './registry.ts';
import { totpFactor } from './totp.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Which factor re-proved the user on an elevated route ('totp' or 'recovery'). */
    elevatedBy?: string;
  }
}

export const noSecondFactor = () =>
  new ApiError(409, 'no_second_factor', 'Set up an authenticator app first.');

export interface ElevatedOptions {
  /** The audit step a lockout is recorded under. */
  step: LoginStep;
  /** The body field holding the password, or null when the route asks for a code alone. */
  password: 'password' | 'currentPassword' | null;
  /** Which codes re-prove the second factor: the authenticator's, or a recovery code as well. */
  codes: 'authenticator' | 'authenticator-or-recovery';
  /** Refuse (409) an account that has no second factor yet, before anything is counted. */
  requireFactor: boolean;
}

/**
 * Tier "elevated": a route that changes what protects the account (password, factors, phones,
 * security keys) takes both factors again, so a session alone (a stolen cookie, an unlocked screen)
 * cannot. Every such check spends from one budget per user ('step-up'), so these routes are no way
 * around the login limits. Used as the route's preHandler, after its body is validated.
 */
export function elevated(app: FastifyInstance, options: ElevatedOptions): preHandlerAsyncHookHandler {
  return async (request: FastifyRequest) => {
    const user = currentUser(request);
    const body = request.body as Record<string, string>;
    if (options.requireFactor) {
      const facts = await app.factorFacts.of(user.userId);
      if (!hasSecondFactor(facts)) {
        throw noSecondFactor();
      }
    }
    const verdict = await app.regulator.consume('step-up', user.userId);
    if (!verdict.allowed) {
      await app.recordStep(request, {
        step: options.step,
        result: 'locked',
        userId: user.userId,
        username: user.username,
      });
      throw tooManyAttempts(verdict.retryAfterSeconds);
    }
    if (options.password) await checkPassword(app, user.userId, body[options.password] as string);
    const factors = options.codes === 'authenticator' ? [totpFactor] : [totpFactor, recoveryFactor];
    for (const factor of factors) {
      if ((await factor.verify(app, request, user, body.code as string)).ok) {
        await app.regulator.reset('step-up', user.userId);
        request.elevatedBy = factor.name;
        return;
      }
    }
    throw invalidCode();
  };
}

async function checkPassword(app: FastifyInstance, userId: string, password: string) {
  const user = await app.users.findById(userId);
  if (!user || !(await app.passwords.verify(user.passwordHash, password))) throw invalidCredentials();
}
