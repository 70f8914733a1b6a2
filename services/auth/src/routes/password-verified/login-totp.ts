import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { invalidCode, tooManyAttempts } from '../../errors.ts';
import { currentUser, establishSession } from '../../lib/sessions.ts';
import { matchTotpStep, normalizeCode } from '../../lib/totp.ts';
import { openTotpSecret } from '../../lib/totp-secrets.ts';
import { CodeBody, StateResponse } from '../../schemas.ts';

export const loginTotp: FastifyPluginAsyncTypebox = async (app) => {
  const { limits, session } = app.config;

  app.post(
    '/api/v1/login/totp',
    { schema: { body: CodeBody, response: { 200: StateResponse } } },
    async (request) => {
      const user = currentUser(request);
      // Consumed before the check, atomically, so parallel guesses cannot slip past the limit.
      const verdict = await app.regulator.consume(
        'totp',
        user.userId,
        limits.secondFactorFailures,
        limits.lockoutSeconds,
      );
      if (!verdict.allowed) {
        app.metrics.loginSteps.inc({ step: 'totp', result: 'locked' });
        throw tooManyAttempts(verdict.retryAfterSeconds);
      }
      const code = normalizeCode(request.body.code);
      const credential = code ? await app.totp.findConfirmed(user.userId) : undefined;
      let accepted = false;
      if (code && credential) {
        const secret = openTotpSecret(app.secretBox, credential, request.log);
        const step = secret ? await matchTotpStep(secret, code) : undefined;
        accepted = step !== undefined && (await app.totp.claimStep(credential.id, step));
        if (step !== undefined && !accepted) request.log.info({ userId: user.userId }, 'totp code replayed');
      }
      if (!accepted) {
        app.metrics.loginSteps.inc({ step: 'totp', result: 'failure' });
        throw invalidCode();
      }
      await app.regulator.reset('totp', user.userId);
      await establishSession(
        request,
        { userId: user.userId, username: user.username, state: 'authenticated' },
        session.absoluteSeconds,
      );
      app.metrics.loginSteps.inc({ step: 'totp', result: 'success' });
      return { state: 'authenticated' };
    },
  );
};
