import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ApiError } from '../../errors.ts';
import { elevated, noSecondFactor } from '../../factors/step-up.ts';
import { configuredWebAuthn } from '../../factors/webauthn.ts';
import { currentUser } from '../../lib/sessions.ts';
import {
  MAX_WEBAUTHN_CREDENTIALS,
  type WebAuthnCredentialView,
} from '../../repositories/webauthn-credentials.ts';
import { Uuid, WebAuthnResponse } from '../../schemas.ts';

const Credential = Type.Object({
  id: Type.String(),
  name: Type.String(),
  passkey: Type.Boolean(),
  backedUp: Type.Boolean(),
  createdAt: Type.String(),
  lastUsedAt: Type.Union([Type.String(), Type.Null()]),
});

const password = Type.String({ maxLength: 1024 });
const code = Type.String({ minLength: 1, maxLength: 64 });
const OptionsBody = Type.Object({ password, code, passkey: Type.Boolean() }, { additionalProperties: false });
const AddBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 64 }), response: WebAuthnResponse },
  { additionalProperties: false },
);
const RemoveBody = Type.Object({ password, code }, { additionalProperties: false });

const view = (credential: WebAuthnCredentialView) => ({
  ...credential,
  createdAt: credential.createdAt.toISOString(),
  lastUsedAt: credential.lastUsedAt?.toISOString() ?? null,
});

const refused = () =>
  new ApiError(400, 'invalid_security_key', 'The security key could not be registered. Try again.');
const tooMany = () =>
  new ApiError(409, 'too_many_security_keys', 'This account has as many security keys as it may have.');

/**
 * The account page's security keys and passkeys. Adding one takes both factors again (the options
 * are only issued after them, and their challenge is single-use), as removing one does.
 */
export const securityKeys: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/v1/me/webauthn',
    { schema: { response: { 200: Type.Object({ credentials: Type.Array(Credential) }) } } },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      const credentials = await app.webauthnCredentials.listForUser(currentUser(request).userId);
      return { credentials: credentials.map(view) };
    },
  );

  app.post(
    '/api/v1/me/webauthn/options',
    {
      schema: { body: OptionsBody },
      preHandler: [
        async () => {
          configuredWebAuthn(app);
        },
        elevated(app, {
          step: 'webauthn-added',
          password: 'password',
          codes: 'authenticator-or-recovery',
          requireFactor: true,
        }),
      ],
    },
    async (request, reply) => {
      const webauthn = configuredWebAuthn(app);
      const user = currentUser(request);
      if ((await app.webauthnCredentials.countForUser(user.userId)) >= MAX_WEBAUTHN_CREDENTIALS)
        throw tooMany();
      reply.header('cache-control', 'no-store');
      const { passkey } = request.body;
      const { sessionId } = request.session;
      return { options: await webauthn.registrationOptions(user, { passkey, sessionId }) };
    },
  );

  app.post(
    '/api/v1/me/webauthn',
    { schema: { body: AddBody, response: { 201: Type.Object({ credential: Credential }) } } },
    async (request, reply) => {
      const webauthn = configuredWebAuthn(app);
      const user = currentUser(request);
      const { name, response } = request.body;
      const result = await webauthn.register(user, name, response, request.session.sessionId);
      if (!result.ok) {
        await app.recordStep(request, {
          step: 'webauthn-added',
          result: 'failure',
          ...user,
          detail: { reason: result.reason },
        });
        // no_second_factor: the authenticator app it hangs on was removed since the options were issued.
        if (result.reason === 'no_second_factor') throw noSecondFactor();
        throw result.reason === 'too_many' ? tooMany() : refused();
      }
      const { credential } = result;
      await app.recordStep(request, {
        step: 'webauthn-added',
        result: 'success',
        ...user,
        detail: { credential: credential.id, passkey: credential.passkey },
      });
      return reply.code(201).send({ credential: view(credential) });
    },
  );

  app.delete(
    '/api/v1/me/webauthn/:id',
    {
      schema: { params: Type.Object({ id: Uuid }), body: RemoveBody },
      preHandler: elevated(app, {
        step: 'webauthn-removed',
        password: 'password',
        codes: 'authenticator-or-recovery',
        requireFactor: false,
      }),
    },
    async (request, reply) => {
      const user = currentUser(request);
      if (!(await app.webauthnCredentials.remove(user.userId, request.params.id))) {
        throw new ApiError(404, 'not_found', 'No such security key.');
      }
      await app.recordStep(request, {
        step: 'webauthn-removed',
        result: 'success',
        ...user,
        detail: { credential: request.params.id },
      });
      return reply.code(204).send();
    },
  );
};
