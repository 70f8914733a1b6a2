import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ApiError } from '../../errors.ts';
import { signInWithFactor } from '../../factors/login-attempt.ts';
import { configuredWebAuthn, webauthnFactor } from '../../factors/webauthn.ts';
import { currentUser } from '../../lib/sessions.ts';
import { EmptyBody, StateResponse, WebAuthnResponseBody } from '../../schemas.ts';

const noSecurityKey = () =>
  new ApiError(400, 'no_security_key', 'No security key is registered for this account.');

/** The second step with a security key or passkey: options with the account's keys, then the signature. */
export const loginWebauthn: FastifyPluginAsyncTypebox = async (app) => {
  app.post('/api/v1/login/webauthn/options', { schema: { body: EmptyBody } }, async (request, reply) => {
    const webauthn = configuredWebAuthn(app);
    const options = await webauthn.secondFactorOptions(
      currentUser(request).userId,
      request.session.sessionId,
    );
    if (!options) throw noSecurityKey();
    reply.header('cache-control', 'no-store');
    return { options };
  });

  app.post(
    '/api/v1/login/webauthn',
    {
      schema: { body: WebAuthnResponseBody, response: { 200: StateResponse } },
      // Said before an attempt is spent: without an origin no key can be checked.
      preHandler: async () => {
        configuredWebAuthn(app);
      },
    },
    (request, reply) => signInWithFactor(app, request, reply, webauthnFactor, request.body.response),
  );
};
