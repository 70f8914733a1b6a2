// The signed-in sessions the session checks send: users of the pool signed in once in the setup.
import type { FlowContext, ReadySession } from './flow.ts';
import { codeForStep } from './totp.ts';
import { spendStep } from './user-pool.ts';

export async function signInSessions(
  ctx: Pick<FlowContext, 'users' | 'client'>,
  lbs: string[],
  count: number,
): Promise<ReadySession[]> {
  const sessions: ReadySession[] = [];
  const wanted = Math.min(count, ctx.users.size);
  for (let i = 0; i < wanted; i += 1) {
    const user = await ctx.users.takeForSetup();
    try {
      const client = ctx.client('setup', user.address);
      client.baseUrl = lbs[i % lbs.length] as string;
      const password = await client.call(
        'password',
        'POST',
        '/api/v1/login',
        { username: user.username, password: user.password },
        200,
      );
      client.expectState('password', password, 'mfa_required');
      const code = codeForStep(user.totpSecret, spendStep(user));
      const done = await client.call('totp', 'POST', '/api/v1/login/totp', { code }, 200);
      client.expectState('totp', done, 'authenticated');
      sessions.push({ username: user.username, address: user.address, cookies: client.cookies });
    } finally {
      ctx.users.release(user);
    }
  }
  return sessions;
}
