import { hashRecoveryCode, normalizeRecoveryCode } from '../lib/recovery-codes.ts';
import type { CheckedFactor } from './factor.ts';

/** Single-use recovery codes, issued with the authenticator app. */
export const recoveryFactor: CheckedFactor<string> = {
  name: 'recovery',
  amr: 'otp',
  step: 'recovery',
  budget: 'recovery',
  // Offered even when all are spent: the login's answer does not tell a password holder which are left.
  offered: (facts) => facts.hasAuthenticator,
  listed: (facts) => facts.hasAuthenticator && facts.recoveryCodesLeft > 0,
  async verify(app, request, user, typed) {
    const code = normalizeRecoveryCode(typed);
    const accepted =
      code !== undefined && (await app.recoveryCodes.consume(user.userId, hashRecoveryCode(code)));
    if (!accepted) return { ok: false };
    request.log.info({ userId: user.userId }, 'a recovery code was used');
    return { ok: true };
  },
};
