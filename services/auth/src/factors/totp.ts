import { checkTotpCode } from '../lib/totp-check.ts';
import type { CheckedFactor } from './factor.ts';

/** The authenticator app (RFC 6238), enrolled by QR code: the account's anchor factor. */
export const totpFactor: CheckedFactor<string> = {
  name: 'totp',
  amr: 'otp',
  step: 'totp',
  budget: 'totp',
  offered: (facts) => facts.hasAuthenticator,
  listed: (facts) => facts.hasAuthenticator,
  async verify(app, request, user, code) {
    const check = await checkTotpCode(app, request, user.userId, code);
    if (check === 'accepted') return { ok: true };
    return { ok: false, detail: check === 'replayed' ? { reason: 'replayed' } : undefined };
  },
};
