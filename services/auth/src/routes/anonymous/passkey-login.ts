import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { invalidCredentials, tooManyAttempts, webauthnUnavailable } from '../../errors.ts';
import { establishSession } from '../../lib/sessions.ts';
import { usernameKey } from '../../lib/usernames.ts';
import { StateResponse, WebAuthnResponseBody } from '../../schemas.ts';

const Empty = Type.Object({}, { additionalProperties: false });

/** RFC 8176: a key held by the user (hwk), unlocked by them (user verification): both factors at once. */
const PASSKEY_AMR = ['hwk', 'mfa'];

/**
 * Sign-in with a passkey alone: a discoverable credential, with user verification, is both factors.
 * Refusals spend the client address's budget (the signature cannot be guessed, but each check costs
 * a database read); a success gives its attempt back.
 */
export const passkeyLogin: FastifyPluginAsyncTypebox = async (app) => {
  app.post('/api/v1/passkey/options', { schema: { body: Empty } }, async (_request, reply) => {
    if (!app.webauthn) throw webauthnUnavailable();
    reply.header('cache-control', 'no-store');
    return { options: await app.webauthn.passkeyOptions() };
  });

  app.post(
    '/api/v1/passkey/login',
    { schema: { body: WebAuthnResponseBody, response: { 200: StateResponse } } },
    async (request, reply) => {
      if (!app.webauthn) throw webauthnUnavailable();
      const budget = await app.regulator.consume('passkey-ip', request.ip);
      if (!budget.allowed) {
        await app.recordStep(request, { step: 'passkey', result: 'locked' });
        throw tooManyAttempts(budget.retryAfterSeconds);
      }
      const verdict = await app.webauthn.verifyPasskey(request.body.response);
      const user = verdict.ok ? await app.users.findById(verdict.userId) : undefined;
      if (!verdict.ok || !user) {
        if (!verdict.ok && verdict.reason === 'cloned')
          request.log.warn('a passkey signed with a counter gone back: a clone?');
        await app.recordStep(request, {
          step: 'passkey',
          result: 'failure',
          userId: verdict.ok ? verdict.userId : null,
          detail: { reason: verdict.ok ? 'no_such_user' : verdict.reason },
        });
        throw invalidCredentials();
      }
      await app.regulator.refund('passkey-ip', request.ip);
      const who = { userId: user.id, username: user.username };
      await establishSession(
        request,
        { ...who, state: 'authenticated', secondFactorAt: Date.now(), amr: PASSKEY_AMR },
        app.config.session.absoluteSeconds,
      );
      await app.trustedBrowsers.remember(request, reply, usernameKey(user.username));
      await app.recordStep(request, { step: 'passkey', result: 'success', ...who });
      return { state: 'authenticated' };
    },
  );
};
