import type { FastifyInstance } from 'fastify';
import { webauthnUnavailable } from '../errors.ts';
import type { WebAuthn } from '../lib/webauthn.ts';
import type { CheckedFactor } from './factor.ts';

/** The relying party, or 409 `webauthn_unavailable` when no origin is configured. */
export function configuredWebAuthn(app: FastifyInstance): WebAuthn {
  if (!app.webauthn) throw webauthnUnavailable();
  return app.webauthn;
}

/**
 * Security keys and passkeys (WebAuthn) as the second factor: a signature over a single-use
 * challenge (lib/webauthn.ts). Added from the account page, so an account has one only beside its
 * authenticator app. A passkey also signs in on its own (routes/anonymous/passkey-login.ts).
 */
export const webauthnFactor: CheckedFactor<unknown> = {
  name: 'webauthn',
  amr: 'hwk',
  step: 'webauthn',
  budget: 'webauthn',
  offered: (facts, app) => facts.hasAuthenticator && facts.securityKeys > 0 && app.webauthn !== undefined,
  listed: (facts) => facts.hasAuthenticator && facts.securityKeys > 0,
  async verify(app, request, user, response) {
    if (!app.webauthn) return { ok: false, detail: { reason: 'not_configured' } };
    const verdict = await app.webauthn.verifySecondFactor(user.userId, response, request.session.sessionId);
    if (verdict === 'accepted') return { ok: true };
    if (verdict === 'cloned')
      request.log.warn({ userId: user.userId }, 'a security key signed with a counter gone back: a clone?');
    return { ok: false, detail: { reason: verdict } };
  },
};
