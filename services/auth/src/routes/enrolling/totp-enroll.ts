import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { currentUser } from '../../lib/sessions.ts';
import { newTotpSecret, otpauthUri, qrSvg } from '../../lib/totp.ts';
import { sealTotpSecret } from '../../lib/totp-secrets.ts';

const EnrollResponse = Type.Object({
  secret: Type.String(),
  otpauthUri: Type.String(),
  qrSvg: Type.String(),
});

export const totpEnroll: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/api/v1/totp/enroll',
    { schema: { response: { 200: EnrollResponse } } },
    async (request, reply) => {
      const user = currentUser(request);
      const secret = newTotpSecret();
      const credentialId = randomUUID();
      await app.totp.createPending({
        id: credentialId,
        userId: user.userId,
        secretEnvelope: sealTotpSecret(app.secretBox, credentialId, user.userId, secret),
      });
      const uri = otpauthUri(app.config.issuer, user.username, secret);
      await app.recordStep(request, { step: 'enroll', result: 'success', ...user });
      reply.header('cache-control', 'no-store');
      return { secret, otpauthUri: uri, qrSvg: await qrSvg(uri) };
    },
  );
};
