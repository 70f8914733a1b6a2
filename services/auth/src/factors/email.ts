import type { CheckedFactor } from './factor.ts';
import { verifySentCode } from './sent-code.ts';

/** A 6-digit code mailed to the account's address: the fallback factor, when mail is configured. */
export const emailFactor: CheckedFactor<string> = {
  name: 'email',
  amr: 'otp',
  step: 'email',
  budget: 'email',
  offered: (facts, app) => facts.hasAuthenticator && facts.email !== null && app.mailer.enabled,
  listed: (facts, app) => facts.hasAuthenticator && facts.email !== null && app.mailer.enabled,
  verify: (app, _request, user, code) => verifySentCode(app, user, 'email', code),
};
