import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { invalidCode, tooManyAttempts } from '../../errors.ts';
import { completeLogin, secondFactorSubject } from '../../factors/login-attempt.ts';
import { totpFactor } from '../../factors/totp.ts';
import { hashRecoveryCode, newRecoveryCodes, normalizeRecoveryCode } from '../../lib/recovery-codes.ts';
import { currentUser } from '../../lib/sessions.ts';
import { matchTotpStep, normalizeCode } from '../../lib/totp.ts';
import { openTotpSecret } from '../../lib/totp-secrets.ts';
import { CodeBody } from '../../schemas.ts';

const ConfirmResponse = Type.Object({
  state: Type.Literal('authenticated'),
  recoveryCodes: Type.Array(Type.String()),
});

export const totpConfirm: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/api/v1/totp/confirm',
    { schema: { body: CodeBody, response: { 200: ConfirmResponse } } },
    async (request, reply) => {
      const user = currentUser(request);
      const subject = await secondFactorSubject(app, request, user);
      const verdict = await app.regulator.consume('totp-confirm', subject);
      if (!verdict.allowed) throw tooManyAttempts(verdict.retryAfterSeconds);
      const code = normalizeCode(request.body.code);
      const pending = code ? await app.totp.findPending(user.userId) : undefined;
      let confirmed = false;
      const recoveryCodes = newRecoveryCodes();
      if (code && pending) {
        const secret = openTotpSecret(app.secretBox, pending, request.log);
        const step = secret ? await matchTotpStep(secret, code) : undefined;
        const hashes = recoveryCodes.map((c) => hashRecoveryCode(normalizeRecoveryCode(c) as string));
        confirmed = step !== undefined && (await app.totp.confirm(pending.id, user.userId, step, hashes));
      }
      if (!confirmed) {
        await app.recordStep(request, { step: 'confirm', result: 'failure', ...user });
        throw invalidCode(400);
      }
      await app.regulator.reset('totp-confirm', subject);
      await completeLogin(app, request, reply, user, totpFactor);
      await app.recordStep(request, { step: 'confirm', result: 'success', ...user });
      reply.header('cache-control', 'no-store');
      return { state: 'authenticated' as const, recoveryCodes };
    },
  );
};
