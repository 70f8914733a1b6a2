import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireState } from '../../lib/sessions.ts';
import { account } from './account.ts';
import { activity } from './activity.ts';
import { applicationLinks } from './application-links.ts';
import { devices } from './devices.ts';
import { me } from './me.ts';
import { securityKeys } from './security-keys.ts';
import { sessionRedirect } from './session-redirect.ts';

/** Tier "authenticated": both factors proven (or 2FA not required and the password proven). */
export const authenticatedRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', requireState('authenticated'));
  await app.register(me);
  await app.register(activity);
  await app.register(account);
  await app.register(devices);
  await app.register(securityKeys);
  await app.register(applicationLinks);
  await app.register(sessionRedirect);
};
