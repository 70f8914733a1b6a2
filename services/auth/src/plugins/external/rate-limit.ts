import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { AuthConfig } from '../../config.ts';
import { ApiError } from '../../errors.ts';

/** Session checks: an application's every asset asks one; a 429 there breaks every page. */
const SESSION_CHECKS = new Set(['/api/v1/session', '/api/v1/me']);

/** Only the JSON API is budgeted: never operations, pages, static files or session checks. */
export function isBudgeted(method: string, url: string): boolean {
  const path = url.split('?')[0] ?? '';
  if (!path.startsWith('/api/')) return false;
  return !(method === 'GET' && SESSION_CHECKS.has(path));
}

/**
 * A request budget per client IP for the API, counted in Redis so that every replica (and both
 * load balancers) share it. The per-account brute-force limits are separate (regulator). Session
 * checks (`/auth/verify`, `GET /api/v1/session`, `GET /api/v1/me`), pages and static files are
 * never limited here: flood protection for them belongs to the edge.
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
      allowList: (request) => !isBudgeted(request.method, request.url),
      errorResponseBuilder: (_request, context) =>
        new ApiError(429, 'rate_limited', 'Too many requests. Slow down and try again shortly.', {
          'retry-after': String(Math.ceil(context.ttl / 1000)),
        }),
    });
  },
  { name: 'rate-limit', dependencies: ['redis'] },
);
