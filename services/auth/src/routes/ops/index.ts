import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { withTimeout } from '../../../../common/src/with-timeout.ts';
import { authVerify } from './auth-verify.ts';

const CHECK_TIMEOUT_MS = 1_000;

declare module 'fastify' {
  interface FastifyInstance {
    /** Set at SIGTERM: readiness fails so the load balancers stop sending, while in-flight work finishes. */
    draining: boolean;
  }
}

async function check(name: string, probe: () => Promise<unknown>): Promise<'up' | 'down'> {
  try {
    await withTimeout(name, CHECK_TIMEOUT_MS, probe());
    return 'up';
  } catch {
    return 'down';
  }
}

/** Operations: liveness, readiness, metrics, and the nginx auth_request endpoint. */
export const opsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // Probes and scrapes come every few seconds from nginx, HAProxy and Prometheus: not an info line
  // each. Never budgeted per address (plugins/external/rate-limit.ts), so not even its hook runs.
  const quiet = { logLevel: 'warn', config: { rateLimit: false } } as const;
  app.get('/healthz', quiet, async () => ({ status: 'ok', replica: app.config.replicaName }));

  app.get('/readyz', quiet, async (_request, reply) => {
    const [postgres, redis] = await Promise.all([
      // The pool itself, not the retrying Database: a probe must answer now, not keep retrying after its deadline.
      check('postgres', () => app.db.pool.query('SELECT 1')),
      check('redis', () => app.redis.ping()),
    ]);
    // Key ids (never keys) let `twofold keys rotate` see when every replica has the new ring.
    const checks = {
      postgres,
      redis,
      draining: app.draining,
      keyIds: app.secretBox.keyIds,
      oidcKeys: app.oidc?.keys,
    };
    if (app.draining || postgres === 'down' || redis === 'down') {
      const reason = app.draining ? 'draining' : 'a dependency is down';
      return reply.code(503).send({ error: { code: 'not_ready', message: `Not ready: ${reason}.` }, checks });
    }
    return { status: 'ready', replica: app.config.replicaName, checks };
  });

  app.get('/metrics', quiet, async (_request, reply) => {
    reply.type(app.metrics.registry.contentType);
    return app.metrics.registry.metrics();
  });

  await app.register(authVerify);
};
