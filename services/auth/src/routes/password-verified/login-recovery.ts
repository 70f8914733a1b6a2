import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { signInWithFactor } from '../../factors/login-attempt.ts';
import { recoveryFactor } from '../../factors/recovery.ts';
import { CodeBody, StateResponse } from '../../schemas.ts';

export const loginRecovery: FastifyPluginAsyncTypebox = async (app) => {
  // A budget of its own, apart from TOTP's: locking one factor must not lock the way out through another.
  app.post(
    '/api/v1/login/recovery',
    { schema: { body: CodeBody, response: { 200: StateResponse } } },
    (request, reply) => signInWithFactor(app, request, reply, recoveryFactor, request.body.code),
  );
};
