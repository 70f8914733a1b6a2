import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { unauthenticated } from '../../errors.ts';
import { listedFactors } from '../../factors/registry.ts';
import { currentUser } from '../../lib/sessions.ts';

const MeResponse = Type.Object({
  user: Type.Object({
    id: Type.String(),
    username: Type.String(),
    email: Type.Union([Type.String(), Type.Null()]),
    factors: Type.Array(Type.String()),
    recoveryCodesRemaining: Type.Integer(),
    /** The password is easy to guess (found at a login): the pages ask the user to change it. */
    passwordChangeRequired: Type.Boolean(),
    createdAt: Type.String(),
  }),
});

export const me: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/api/v1/me', { schema: { response: { 200: MeResponse } } }, async (request) => {
    const { userId } = currentUser(request);
    const [user, stored] = await Promise.all([app.users.findById(userId), app.factorFacts.of(userId)]);
    if (!user) throw unauthenticated();
    const factors = listedFactors({ ...stored, email: user.email }, app);
    return {
      user: {
        id: user.id,
        username: user.username,
        email: user.email,
        factors,
        recoveryCodesRemaining: stored.recoveryCodesLeft,
        passwordChangeRequired: user.passwordChangeRequired,
        createdAt: user.createdAt.toISOString(),
      },
    };
  });
};
