import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, Histogram, type Registry } from 'prom-client';
import { createMetricsRegistry } from '../../../../common/src/metrics-registry.ts';
import type { AuthConfig } from '../../config.ts';

export type LoginStep =
  | 'register'
  | 'password'
  | 'totp'
  | 'recovery'
  | 'email'
  | 'email-send'
  | 'enroll'
  | 'confirm'
  | 'logout'
  | 'password-change'
  | 'recovery-codes'
  | 'factor-removed'
  | 'device-pairing'
  | 'device-paired'
  | 'device-removed'
  | 'push'
  | 'push-answer'
  | 'push-code'
  | 'push-code-send'
  | 'rp-push'
  | 'rp-code'
  | 'rp-expired'
  | 'application-linked'
  | 'application-unlinked'
  | 'webauthn'
  | 'passkey'
  | 'webauthn-added'
  | 'webauthn-removed'
  /** /auth/verify refused a signed-in user the application does not admit (403). */
  | 'application-access';
export type StepResult = 'success' | 'failure' | 'locked' | 'rejected';

export interface AuthMetrics {
  registry: Registry;
  loginSteps: Counter<'step' | 'result'>;
  loginChallenges: Counter<'outcome'>;
  /** Second-factor checks at login (derived from the step records, see lib/login-metrics.ts). */
  secondFactors: Counter<'factor' | 'result'>;
  /** Attempts a regulator budget refused, by the regulator's scope name. */
  lockouts: Counter<'scope'>;
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: AuthMetrics;
  }
}

export default fp(
  async function metrics(app: FastifyInstance, { config }: { config: AuthConfig }) {
    const registry = createMetricsRegistry({ service: 'auth', replica: config.replicaName });
    const loginSteps = new Counter({
      name: 'twofold_login_steps_total',
      help: 'Login, enrolment and registration steps by outcome',
      labelNames: ['step', 'result'] as const,
      registers: [registry],
    });
    const loginChallenges = new Counter({
      name: 'twofold_login_challenges_total',
      help: 'Proof-of-work challenges of logins past the account budget: issued, solved, refused',
      labelNames: ['outcome'] as const,
      registers: [registry],
    });
    const secondFactors = new Counter({
      name: 'twofold_second_factor_total',
      help: 'Second-factor checks at login by factor and result (success, failure, locked)',
      labelNames: ['factor', 'result'] as const,
      registers: [registry],
    });
    const lockouts = new Counter({
      name: 'twofold_lockouts_total',
      help: 'Attempts refused by a brute-force budget, by budget scope',
      labelNames: ['scope'] as const,
      registers: [registry],
    });
    const duration = new Histogram({
      name: 'twofold_http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
    app.decorate('metrics', { registry, loginSteps, loginChallenges, secondFactors, lockouts });
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched';
      duration.observe(
        { method: request.method, route, status_code: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
    });
  },
  { name: 'metrics' },
);
