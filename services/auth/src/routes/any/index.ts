import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { unauthenticated } from '../../errors.ts';
import { sessionUser } from '../../lib/sessions.ts';
import { SESSION_COOKIE } from '../../plugins/external/session.ts';
import { UserSummary } from '../../schemas.ts';

const SessionResponse = Type.Object({ state: Type.String(), user: Type.Optional(UserSummary) });

/** Tier "any": answers with or without a session. */
export const anyRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/api/v1/session', { schema: { response: { 200: SessionResponse } } }, async (request, reply) => {
    const user = sessionUser(request);
    if (!user) throw unauthenticated();
    reply.header('cache-control', 'no-store');
    return { state: user.state, user: { id: user.userId, username: user.username } };
  });

  app.post('/api/v1/logout', async (request, reply) => {
    const user = sessionUser(request);
    if (user) {
      await request.session.destroy();
      await app.recordStep(request, { step: 'logout', result: 'success', ...user });
    }
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.code(204).send();
  });
};
