import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { invalidCode, tooManyAttempts } from '../../errors.ts';
import { hashRecoveryCode, normalizeRecoveryCode } from '../../lib/recovery-codes.ts';
import { currentUser, establishSession } from '../../lib/sessions.ts';
import { CodeBody, StateResponse } from '../../schemas.ts';

export const loginRecovery: FastifyPluginAsyncTypebox = async (app) => {
  const { limits, session } = app.config;

  app.post(
    '/api/v1/login/recovery',
    { schema: { body: CodeBody, response: { 200: StateResponse } } },
    async (request) => {
      const user = currentUser(request);
      // A separate budget from TOTP: locking one factor must not lock the way out through the other.
      const verdict = await app.regulator.consume(
        'recovery',
        user.userId,
        limits.secondFactorFailures,
        limits.lockoutSeconds,
      );
      if (!verdict.allowed) {
        app.metrics.loginSteps.inc({ step: 'recovery', result: 'locked' });
        throw tooManyAttempts(verdict.retryAfterSeconds);
      }
      const code = normalizeRecoveryCode(request.body.code);
      const accepted =
        code !== undefined && (await app.recoveryCodes.consume(user.userId, hashRecoveryCode(code)));
      if (!accepted) {
        app.metrics.loginSteps.inc({ step: 'recovery', result: 'failure' });
        throw invalidCode();
      }
      await app.regulator.reset('recovery', user.userId);
      await establishSession(
        request,
        { userId: user.userId, username: user.username, state: 'authenticated' },
        session.absoluteSeconds,
      );
      app.metrics.loginSteps.inc({ step: 'recovery', result: 'success' });
      request.log.info({ userId: user.userId }, 'signed in with a recovery code');
      return { state: 'authenticated' };
    },
  );
};
