import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { invalidCode } from '../../errors.ts';
import { completeLogin, spendSecondFactorAttempt } from '../../lib/second-factor.ts';
import { currentUser } from '../../lib/sessions.ts';
import { checkTotpCode } from '../../lib/totp-check.ts';
import { CodeBody, StateResponse } from '../../schemas.ts';

export const loginTotp: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/api/v1/login/totp',
    { schema: { body: CodeBody, response: { 200: StateResponse } } },
    async (request, reply) => {
      const user = currentUser(request);
      const attempt = await spendSecondFactorAttempt(app, request, user, 'totp');
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
      await attempt.succeeded();
      await completeLogin(app, request, reply, user);
      await app.recordStep(request, { step: 'totp', result: 'success', ...user });
      return { state: 'authenticated' };
    },
  );
};
