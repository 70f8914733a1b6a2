import type { Factor } from './factor.ts';

/**
 * The Twofold phone app answering a prompt with number matching. Checked over several requests
 * (routes/password-verified/login-push.ts), so it has no `verify`; its budget counts prompts sent.
 */
export const pushFactor: Factor = {
  name: 'push',
  amr: 'swk',
  step: 'push',
  budget: 'push-prompt',
  offered: (facts) => facts.hasAuthenticator && facts.phones > 0,
  listed: (facts) => facts.hasAuthenticator && facts.phones > 0,
};
