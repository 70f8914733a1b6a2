import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireState } from '../../lib/sessions.ts';
import { requireAdmin } from './admin-guard.ts';
import { opsAlerts } from './alerts.ts';
import { opsMembers } from './members.ts';
import { opsPanels } from './panels.ts';
import { Prometheus } from './prometheus.ts';

/**
 * Tier "admin": both factors proven and a member of the `admin` group, checked on every request.
 * The ops dashboard's API: read-only views of Prometheus, by panel id, never by PromQL.
 */
export const adminRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', requireState('authenticated'));
  app.addHook('onRequest', requireAdmin(app));
  const prometheus = new Prometheus(
    app.config.ops.prometheusUrl,
    app.config.ops.prometheusTimeoutMs,
    app.log,
    undefined,
    app.config.ops.prometheusAuthorization,
  );

  // Lets the dashboard page show its link to /ops; asks nothing of Prometheus.
  app.get('/api/v1/ops/access', { config: { auditRefusal: false } }, async () => ({ admin: true }));
  await app.register(opsPanels, { prometheus });
  await app.register(opsMembers, { prometheus });
  await app.register(opsAlerts, { prometheus });
};
