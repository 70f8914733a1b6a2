// A full login: password, then the authenticator's code computed here, in a fresh cookie jar
// (the user's trusted-browser cookie kept, as the user's own browser would).
import type { Flow, FlowContext } from '../lib/flow.ts';
import type { LoadClient } from '../lib/load-client.ts';
import { codeForStep } from '../lib/totp.ts';
import { type PoolUser, spendStep } from '../lib/user-pool.ts';

const DEVICE_COOKIE = 'twofold_device';

/** Signs `user` in with password + TOTP through ctx.lb; returns the signed-in client. */
export async function signIn(ctx: FlowContext, flow: string, user: PoolUser): Promise<LoadClient> {
  const jar = new Map<string, string>();
  if (user.deviceCookie) jar.set(DEVICE_COOKIE, user.deviceCookie);
  const client = ctx.client(flow, user.address, jar);
  const body = { username: user.username, password: user.password };
  const password = await client.call('password', 'POST', '/api/v1/login', body, 200);
  client.expectState('password', password, 'mfa_required');
  const code = codeForStep(user.totpSecret, spendStep(user));
  const second = await client.call('totp', 'POST', '/api/v1/login/totp', { code }, 200);
  client.expectState('totp', second, 'authenticated');
  user.deviceCookie = jar.get(DEVICE_COOKIE) ?? user.deviceCookie;
  return client;
}

export const loginFlow: Flow = {
  name: 'login',
  async run(ctx) {
    const user = ctx.users.take();
    try {
      await signIn(ctx, 'login', user);
    } finally {
      ctx.users.release(user);
    }
  },
};

export default {
  name: 'login',
  description: 'password + TOTP logins of enrolled users',
  defaults: { rate: 5, durationS: 20 },
  blend: [{ flow: loginFlow, weight: 1 }],
} satisfies import('../lib/flow.ts').Scenario;
