import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireState } from '../../lib/sessions.ts';
import { loginEmail } from './login-email.ts';
import { loginPush } from './login-push.ts';
import { loginRecovery } from './login-recovery.ts';
import { loginTotp } from './login-totp.ts';
import { loginWebauthn } from './login-webauthn.ts';

/** Tier "password-verified": the password is proven and a second factor is awaited. */
export const passwordVerifiedRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', requireState('password_verified'));
  await app.register(loginTotp);
  await app.register(loginRecovery);
  await app.register(loginEmail);
  await app.register(loginPush);
  await app.register(loginWebauthn);
};
