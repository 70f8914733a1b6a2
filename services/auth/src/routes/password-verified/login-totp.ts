import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { invalidCode, tooManyAttempts } from '../../errors.ts';
import { completeLogin, secondFactorSubject } from '../../lib/second-factor.ts';
import { currentUser } from '../../lib/sessions.ts';
import { checkTotpCode } from '../../lib/totp-check.ts';
import { CodeBody, StateResponse } from '../../schemas.ts';

export const loginTotp: FastifyPluginAsyncTypebox = async (app) => {
  const { limits } = app.config;

  app.post(
    '/api/v1/login/totp',
    { schema: { body: CodeBody, response: { 200: StateResponse } } },
    async (request, reply) => {
      const user = currentUser(request);
      // Consumed before the check, atomically, so parallel guesses cannot slip past the limit.
      const subject = await secondFactorSubject(app, request, user);
      const verdict = await app.regulator.consume(
        'totp',
        subject,
        limits.secondFactorFailures,
        limits.lockoutSeconds,
      );
      if (!verdict.allowed) {
        await app.recordStep(request, { step: 'totp', result: 'locked', ...user });
        throw tooManyAttempts(verdict.retryAfterSeconds);
      }
      const check = await checkTotpCode(app, request, user.userId, request.body.code);
      if (check !== 'accepted') {
        await app.recordStep(request, {
          step: 'totp',
          result: 'failure',
          ...user,
          detail: check === 'replayed' ? { reason: 'replayed' } : undefined,
        });
        throw invalidCode();
      }
      await app.regulator.reset('totp', subject);
      await completeLogin(app, request, reply, user);
      await app.recordStep(request, { step: 'totp', result: 'success', ...user });
      return { state: 'authenticated' };
    },
  );
};
