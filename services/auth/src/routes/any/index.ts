import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { unauthenticated } from '../../errors.ts';
import { sessionCookieDomain } from '../../lib/host-names.ts';
import { SESSION_COOKIE, sessionUser } from '../../lib/sessions.ts';
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
      await app.sessionStore.replicateEnd();
      await app.recordStep(request, { step: 'logout', result: 'success', ...user });
    }
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    // A cookie set with a Domain is only cleared with that Domain; the host-only one goes too.
    const domain = sessionCookieDomain(request.host, app.config.applications.cookieDomain);
    if (domain) reply.clearCookie(SESSION_COOKIE, { path: '/', domain });
    return reply.code(204).send();
  });
};
