// A push login: the password, then a prompt to the user's paired headless phone, which approves it
// with the number the browser shows while the browser long-polls for the outcome.
import { PhoneRequestError } from '../../services/phone/src/phone.ts';
import type { Flow, FlowContext, Scenario } from '../lib/flow.ts';
import { FlowError } from '../lib/flow-errors.ts';
import type { PoolUser } from '../lib/user-pool.ts';

/** The service sends an account a budget of prompts per lockout window (no push bombing). */
function withinPromptBudget(ctx: FlowContext, now: number) {
  return (user: PoolUser) => {
    user.prompts = (user.prompts ?? []).filter((at) => now - at < ctx.push.windowMs);
    return user.prompts.length < ctx.push.budget;
  };
}

export const pushLoginFlow: Flow = {
  name: 'push-login',
  async run(ctx) {
    const phones = ctx.phones;
    if (!phones) throw new FlowError('no-phone', 'the setup connected no phone');
    const user = ctx.phoneUsers.take(Number.POSITIVE_INFINITY, withinPromptBudget(ctx, Date.now()));
    try {
      const client = ctx.client('push-login', user.address);
      const body = { username: user.username, password: user.password };
      const password = await client.call('password', 'POST', '/api/v1/login', body, 200);
      client.expectState('password', password, 'mfa_required');
      user.prompts?.push(Date.now());
      const sent = await client.call('push', 'POST', '/api/v1/login/push', {}, 200);
      const { challengeId, number } = sent.body as { challengeId: string; number: number };
      const waiting = (async () => {
        for (;;) {
          const waited = await client.call('wait', 'POST', '/api/v1/login/push/wait', { challengeId }, 200);
          if (waited.body?.state !== 'pending') return waited;
        }
      })();
      waiting.catch(() => {}); // awaited below; an early failure must not go unhandled meanwhile
      const prompt = await phones.prompt(challengeId, ctx.push.promptTimeoutMs);
      const answeredAt = performance.now();
      try {
        const { outcome } = await phones.phoneOf(user).answer(prompt, 'approve', number);
        ctx.recorder.step('push-login/approve', performance.now() - answeredAt);
        if (outcome !== 'approved')
          throw new FlowError('unexpected-state', `the approval's outcome: ${outcome}`);
      } catch (error) {
        if (error instanceof PhoneRequestError) {
          ctx.recorder.step('push-login/approve', performance.now() - answeredAt, String(error.status));
          throw new FlowError(String(error.status), `approve: HTTP ${error.status}`);
        }
        throw error;
      }
      client.expectState('wait', await waiting, 'authenticated');
    } finally {
      ctx.phoneUsers.release(user);
    }
  },
};

export default {
  name: 'push-login',
  description: 'password, then a push prompt approved on a paired CLI phone by number matching',
  defaults: { rate: 0.2, durationS: 30 },
  blend: [{ flow: pushLoginFlow, weight: 1 }],
} satisfies Scenario;
