import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { invalidCredentials, tooManyAttempts } from '../../errors.ts';
import { configuredWebAuthn } from '../../factors/webauthn.ts';
import { establishSession } from '../../lib/sessions.ts';
import { EmptyBody, StateResponse, WebAuthnResponseBody } from '../../schemas.ts';

/** RFC 8176: a key held by the user (hwk), unlocked by them (user verification): both factors at once. */
const PASSKEY_AMR = ['hwk', 'mfa'];

/**
 * Sign-in with a passkey alone: a discoverable credential, with user verification, is both factors.
 * The signature is checked first and a genuine one always signs in: a signature cannot be guessed,
 * so a budget spent by others at a shared address must not lock out its rightful users. Refusals
 * are counted per address; past the budget they are answered 429 instead of 401.
 */
export const passkeyLogin: FastifyPluginAsyncTypebox = async (app) => {
  app.post('/api/v1/passkey/options', { schema: { body: EmptyBody } }, async (_request, reply) => {
    const webauthn = configuredWebAuthn(app);
    reply.header('cache-control', 'no-store');
    return { options: await webauthn.passkeyOptions() };
  });

  app.post(
    '/api/v1/passkey/login',
    { schema: { body: WebAuthnResponseBody, response: { 200: StateResponse } } },
    async (request) => {
      const webauthn = configuredWebAuthn(app);
      const verdict = await webauthn.verifyPasskey(request.body.response);
      const user = verdict.ok ? await app.users.findById(verdict.userId) : undefined;
      if (!verdict.ok || !user) {
        if (!verdict.ok && verdict.reason === 'cloned') {
          request.log.warn(
            { userId: verdict.userId },
            'a passkey signed with a counter gone back: suspended',
          );
        }
        const budget = await app.regulator.consume('passkey-ip', request.ip);
        await app.recordStep(request, {
          step: 'passkey',
          result: budget.allowed ? 'failure' : 'locked',
          userId: 'userId' in verdict ? verdict.userId : null,
          detail: { reason: verdict.ok ? 'no_such_user' : verdict.reason },
        });
        throw budget.allowed ? invalidCredentials() : tooManyAttempts(budget.retryAfterSeconds);
      }
      const who = { userId: user.id, username: user.username };
      // No trusted-browser cookie here: the passkey is this browser's proof, and that cookie's path
      // (/api/v1/login) does not reach this route.
      await establishSession(
        request,
        { ...who, state: 'authenticated', secondFactorAt: Date.now(), amr: PASSKEY_AMR },
        app.config.session.absoluteSeconds,
      );
      await app.recordStep(request, { step: 'passkey', result: 'success', ...who });
      return { state: 'authenticated' };
    },
  );
};
