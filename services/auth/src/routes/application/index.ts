import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { verifyApiKey } from '../../lib/api-keys.ts';
import { bearerKey, invalidApiKey } from '../../lib/application-caller.ts';
import { links } from './links.ts';
import { verifications } from './verifications.ts';

/**
 * Tier "application": calls from an application's server, with no session or cookie. Every request
 * carries the application's API key (`Authorization: Bearer tfk_…`), looked up in the database each
 * time, never cached: a rotated key or a removed application is refused at once on every replica.
 * Its requests spend their key's budget, not their address's (plugins/external/rate-limit.ts): an
 * application's server calls for all its users from one address.
 */
export const applicationRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.decorateRequest('callerApplication', null);
  app.addHook('onRequest', async (request) => {
    const presented = bearerKey(request.headers.authorization);
    const application = presented ? await verifyApiKey(app.applications, presented) : undefined;
    if (!application) {
      request.log.info({ keyPresented: presented !== undefined }, 'API key refused');
      await app.applicationBudgets.spendRefused(request);
      throw invalidApiKey();
    }
    await app.applicationBudgets.spendKeyed(request);
    request.callerApplication = application;
  });
  await app.register(verifications);
  await app.register(links);
};
