import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { login } from './login.ts';
import { passkeyLogin } from './passkey-login.ts';
import { register } from './register.ts';

/** Tier "anonymous": open to anyone; brute force is held back inside each route by the regulator. */
export const anonymousRoutes: FastifyPluginAsyncTypebox = async (app) => {
  await app.register(register);
  await app.register(login);
  await app.register(passkeyLogin);
};
