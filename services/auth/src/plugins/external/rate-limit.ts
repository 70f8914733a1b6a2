import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { AuthConfig } from '../../config.ts';
import { ApiError } from '../../errors.ts';

const OPERATIONS = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * A request budget per client IP for the whole service, counted in Redis so that every replica
 * (and both load balancers) share it. The per-account brute-force limits are separate (regulator).
 */
export default fp(
  async function requestRateLimit(app: FastifyInstance, { config }: { config: AuthConfig }) {
    await app.register(rateLimit, {
      global: true,
      max: config.rateLimit.max,
      timeWindow: config.rateLimit.windowSeconds * 1000,
      redis: app.redis,
      nameSpace: `${config.redisKeyPrefix}rl:`,
      // A Redis outage already turns session reads into 503s; the limiter should not add its own.
      skipOnError: true,
      allowList: (request) => OPERATIONS.has(request.url.split('?')[0] ?? ''),
      errorResponseBuilder: (_request, context) =>
        new ApiError(429, 'rate_limited', 'Too many requests. Slow down and try again shortly.', {
          'retry-after': String(Math.ceil(context.ttl / 1000)),
        }),
    });
  },
  { name: 'rate-limit', dependencies: ['redis'] },
);
