import type { CheckedFactor } from './factor.ts';
import { verifySentCode } from './sent-code.ts';

/** A code pushed to the phone app, typed in the browser: for when the prompt cannot be answered. */
export const pushCodeFactor: CheckedFactor<string> = {
  name: 'push_code',
  amr: 'swk',
  step: 'push-code',
  budget: 'push-code',
  offered: (facts) => facts.hasAuthenticator && facts.phones > 0,
  // The same phone as `push`: the account lists it once.
  listed: () => false,
  verify: (app, _request, user, code) => verifySentCode(app, user, 'push', code),
};
