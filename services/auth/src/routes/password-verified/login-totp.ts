import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { signInWithFactor } from '../../factors/login-attempt.ts';
import { totpFactor } from '../../factors/totp.ts';
import { CodeBody, StateResponse } from '../../schemas.ts';

export const loginTotp: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/api/v1/login/totp',
    { schema: { body: CodeBody, response: { 200: StateResponse } } },
    (request, reply) => signInWithFactor(app, request, reply, totpFactor, request.body.code),
  );
};
