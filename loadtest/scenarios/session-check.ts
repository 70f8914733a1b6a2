// A protected application's nginx asking whether a session is valid: GET /auth/verify with a
// session cookie made in the setup.
import type { Flow, Scenario } from '../lib/flow.ts';
import { FlowError } from '../lib/flow-errors.ts';

export const sessionCheckFlow: Flow = {
  name: 'session-check',
  async run(ctx) {
    const session = ctx.sessions[ctx.index % ctx.sessions.length];
    if (!session) throw new FlowError('no-session', 'no signed-in session was made in the setup');
    const client = ctx.client('session-check', session.address, new Map(session.cookies));
    const answer = await client.call('verify', 'GET', '/auth/verify', undefined, 200);
    if (answer.headers['remote-user'] !== session.username) {
      throw new FlowError('unexpected-state', `verify named ${String(answer.headers['remote-user'])}`);
    }
  },
};

export default {
  name: 'session-check',
  description: 'GET /auth/verify with valid sessions made in the setup',
  defaults: { rate: 50, durationS: 20 },
  blend: [{ flow: sessionCheckFlow, weight: 1 }],
} satisfies Scenario;
