import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { currentUser } from '../../lib/sessions.ts';

const ActivityResponse = Type.Object({
  events: Type.Array(
    Type.Object({
      at: Type.String(),
      step: Type.String(),
      result: Type.String(),
      ip: Type.Union([Type.String(), Type.Null()]),
      userAgent: Type.Union([Type.String(), Type.Null()]),
      application: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
});

const RECENT = 20;

/**
 * The user's own recent activity: logins (and failed attempts on the account), enrolments, logouts,
 * and what applications asked of them (with the application's name).
 */
export const activity: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/v1/me/activity',
    { schema: { response: { 200: ActivityResponse } } },
    async (request, reply) => {
      const { userId } = currentUser(request);
      const rows = await app.audit.recentForUser(userId, RECENT);
      reply.header('cache-control', 'no-store');
      return { events: rows.map((row) => ({ ...row, at: row.at.toISOString() })) };
    },
  );
};
