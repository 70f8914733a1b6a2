import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { invalidCode } from '../../errors.ts';
import { hashRecoveryCode, normalizeRecoveryCode } from '../../lib/recovery-codes.ts';
import { completeLogin, spendSecondFactorAttempt } from '../../lib/second-factor.ts';
import { currentUser } from '../../lib/sessions.ts';
import { CodeBody, StateResponse } from '../../schemas.ts';

export const loginRecovery: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/api/v1/login/recovery',
    { schema: { body: CodeBody, response: { 200: StateResponse } } },
    async (request, reply) => {
      const user = currentUser(request);
      // A separate budget from TOTP: locking one factor must not lock the way out through the other.
      const attempt = await spendSecondFactorAttempt(app, request, user, 'recovery');
      const code = normalizeRecoveryCode(request.body.code);
      const accepted =
        code !== undefined && (await app.recoveryCodes.consume(user.userId, hashRecoveryCode(code)));
      if (!accepted) {
        await app.recordStep(request, { step: 'recovery', result: 'failure', ...user });
        throw invalidCode();
      }
      await attempt.succeeded();
      await completeLogin(app, request, reply, user);
      await app.recordStep(request, { step: 'recovery', result: 'success', ...user });
      request.log.info({ userId: user.userId }, 'signed in with a recovery code');
      return { state: 'authenticated' };
    },
  );
};
