// Sign in, log out, and check the session is gone.
import type { Flow, Scenario } from '../lib/flow.ts';
import { FlowError } from '../lib/flow-errors.ts';
import { signIn } from './login.ts';

export const logoutFlow: Flow = {
  name: 'logout',
  async run(ctx) {
    const user = ctx.users.take();
    try {
      const client = await signIn(ctx, 'logout', user);
      await client.call('logout', 'POST', '/api/v1/logout', {}, 204);
      if (client.cookies.has('twofold_sid'))
        throw new FlowError('unexpected-state', 'the session cookie outlived the logout');
      await client.call('session-gone', 'GET', '/api/v1/session', undefined, 401);
    } finally {
      ctx.users.release(user);
    }
  },
};

export default {
  name: 'logout',
  description: 'sign in with password + TOTP, log out, check the session is gone',
  defaults: { rate: 3, durationS: 20 },
  blend: [{ flow: logoutFlow, weight: 1 }],
} satisfies Scenario;
