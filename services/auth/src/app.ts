import { randomUUID } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { loggerOptions } from '../../common/src/logger-options.ts';
import type { AuthConfig } from './config.ts';
import { addDrainHooks } from './drain.ts';
import oidcPlugin from './plugins/app/oidc.ts';
import servicesPlugin from './plugins/app/services.ts';
import stepsPlugin from './plugins/app/steps.ts';
import errorsPlugin from './plugins/external/errors.ts';
import inputHygienePlugin from './plugins/external/input-hygiene.ts';
import mailerPlugin from './plugins/external/mailer.ts';
import metricsPlugin from './plugins/external/metrics.ts';
import pagesPlugin from './plugins/external/pages.ts';
import postgresPlugin from './plugins/external/postgres.ts';
import rateLimitPlugin from './plugins/external/rate-limit.ts';
import redisPlugin from './plugins/external/redis.ts';
import sameOriginPlugin from './plugins/external/same-origin.ts';
import sessionPlugin, { sessionCookies } from './plugins/external/session.ts';
import { adminRoutes } from './routes/admin/index.ts';
import { anonymousRoutes } from './routes/anonymous/index.ts';
import { anyRoutes } from './routes/any/index.ts';
import { applicationRoutes } from './routes/application/index.ts';
import { authenticatedRoutes } from './routes/authenticated/index.ts';
import { deviceRoutes } from './routes/device/index.ts';
import { enrollingRoutes } from './routes/enrolling/index.ts';
import { oidcRoutes } from './routes/oidc/index.ts';
import { opsRoutes } from './routes/ops/index.ts';
import { passwordVerifiedRoutes } from './routes/password-verified/index.ts';
import './session-types.ts';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;
const API_PATH = /^\/(api|auth)\//;

export interface BuildOptions {
  logger?: FastifyServerOptions['logger'];
}

export async function buildApp(config: AuthConfig, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? loggerOptions(config.logLevel, config.replicaName),
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    // nginx passes its $request_id; accept it only if it looks like one, else make our own.
    genReqId: (req) => {
      const header = req.headers['x-request-id'];
      return typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID();
    },
    // Wrong types are errors, not something to coerce; unknown fields are refused, not dropped.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    // A request that reaches a closing replica on a connection kept open is served, not refused:
    // nginx sends it there only if the connection's last answer said keep-alive (see onSend below).
    return503OnClosing: false,
  }).withTypeProvider<TypeBoxTypeProvider>();

  addDrainHooks(app);
  app.addHook('onRequest', async (request, reply) => {
    // No cache, shared or the browser's back button, may keep an answer about a session or an
    // account; set first, so that errors and refusals carry it too. (Pages set it themselves.)
    if (API_PATH.test(request.url)) reply.header('cache-control', 'no-store');
    // Behind a load balancer that terminates TLS (X-Forwarded-Proto from a trusted hop): browsers
    // must never come back over plain HTTP. Not on plain-HTTP clusters, where it would mean nothing.
    if (request.protocol === 'https') reply.header('strict-transport-security', 'max-age=31536000');
  });
  // JSON only: a cross-site form (urlencoded, multipart or text/plain) cannot reach the API.
  app.removeContentTypeParser('text/plain');
  await app.register(errorsPlugin);
  await app.register(metricsPlugin, { config });
  await app.register(postgresPlugin, { config });
  await app.register(redisPlugin, { config });
  await app.register(sameOriginPlugin);
  await app.register(inputHygienePlugin);
  await app.register(rateLimitPlugin, { config });
  await app.register(sessionPlugin, { config });
  await app.register(mailerPlugin, { config });
  await app.register(pagesPlugin);
  await app.register(servicesPlugin, { config });
  await app.register(stepsPlugin);
  await app.register(oidcPlugin, { config });

  // Probes, metrics and the forward-auth check: without @fastify/session, whose hooks build and
  // hash a Session object for every request; the check reads the session itself (lib/sessions.ts).
  await app.register(opsRoutes);
  // Every other route, in a context of its own with @fastify/session's hooks.
  await app.register(async (withSessions) => {
    await withSessions.register(sessionCookies, { config });
    await withSessions.register(anyRoutes);
    await withSessions.register(anonymousRoutes);
    await withSessions.register(passwordVerifiedRoutes);
    await withSessions.register(enrollingRoutes);
    await withSessions.register(authenticatedRoutes);
    await withSessions.register(deviceRoutes);
    await withSessions.register(applicationRoutes);
    await withSessions.register(adminRoutes);
    await withSessions.register(oidcRoutes);
  });
  return app;
}
