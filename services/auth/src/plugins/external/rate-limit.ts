import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { AuthConfig } from '../../config.ts';
import { ApiError } from '../../errors.ts';
import { parseApiKey } from '../../lib/api-keys.ts';
import { bearerKey } from '../../lib/application-caller.ts';

/** Session checks: an application's every asset asks one; a 429 there breaks every page. */
const SESSION_CHECKS = new Set(['/api/v1/session', '/api/v1/me']);
/** The verification API: budgeted per API key by its tier (routes/application), not per address. */
export const APPLICATION_API = '/api/v1/rp/';

/** Only the JSON API is budgeted per address: never operations, pages, static files, session checks or applications' calls. */
export function isBudgeted(method: string, url: string): boolean {
  const path = url.split('?')[0] ?? '';
  if (!path.startsWith('/api/') || path.startsWith(APPLICATION_API)) return false;
  return !(method === 'GET' && SESSION_CHECKS.has(path));
}

/**
 * @fastify/rate-limit's own counting script (store/RedisStore.js, 11.2), with one change: a counter
 * found without an expiry starts again at one, with a window. Its script sets the expiry only when
 * the count is 1, so a counter found without one (as after Redis failovers: lib/regulator.ts) would
 * count on forever, and its address would be refused for good once past the limit. Defined under
 * the command name the library looks for, which it then uses instead of its own. Tests:
 * rate-limit-counters.test.ts, and rate-limit-script.test.ts, which fails when the library's script
 * changes.
 */
export const RATE_LIMIT_SCRIPT = `
local key = KEYS[1]
local timeWindow = tonumber(ARGV[1])
local max = tonumber(ARGV[2])
local continueExceeding = ARGV[3] == 'true'
local exponentialBackoff = ARGV[4] == 'true'
local MAX_SAFE_INTEGER = (2^53) - 1
local current = redis.call('INCR', key)
if current == 1 or (continueExceeding and current > max) then
  redis.call('PEXPIRE', key, timeWindow)
elseif exponentialBackoff and current > max then
  local backoffExponent = current - max - 1
  timeWindow = math.min(timeWindow * (2 ^ backoffExponent), MAX_SAFE_INTEGER)
  redis.call('PEXPIRE', key, timeWindow)
else
  local ttl = redis.call('PTTL', key)
  if ttl < 0 then
    current = 1
    redis.call('SET', key, current, 'PX', timeWindow)
  else
    timeWindow = ttl
  end
end
return {current, timeWindow}
`;

const rateLimited = (retryAfterSeconds: number) =>
  new ApiError(429, 'rate_limited', 'Too many requests. Slow down and try again shortly.', {
    'retry-after': String(Math.max(1, retryAfterSeconds)),
  });

declare module 'fastify' {
  interface FastifyInstance {
    /** The verification API's budgets, spent by its tier's guard once it knows whether the key is good. */
    applicationBudgets: {
      /** One request of the application whose key was just verified: its key's budget. */
      spendKeyed(request: FastifyRequest): Promise<void>;
      /** One request whose key was refused: its address's budget of refused keys. */
      spendRefused(request: FastifyRequest): Promise<void>;
    };
  }
}

/**
 * A request budget per client IP for the API, counted in Redis so that every replica (and both
 * load balancers) share it. The per-account brute-force limits are separate (regulator). Session
 * checks (`/auth/verify`, `GET /api/v1/session`, `GET /api/v1/me`), pages and static files are
 * never limited here: flood protection for them belongs to the edge.
 *
 * An application's server makes all its users' calls, long polls included, from one address: the
 * verification API (/api/v1/rp/*) has a budget per API key instead (`TWOFOLD_RP_RATE_LIMIT_MAX` per
 * window), and requests with a refused key one per address, as large as the API's.
 */
export default fp(
  async function requestRateLimit(app: FastifyInstance, { config }: { config: AuthConfig }) {
    const timeWindow = config.rateLimit.windowSeconds * 1000;
    app.redis.defineCommand('rateLimit', { numberOfKeys: 1, lua: RATE_LIMIT_SCRIPT });
    await app.register(rateLimit, {
      global: true,
      max: config.rateLimit.max,
      timeWindow,
      redis: app.redis,
      nameSpace: `${config.redisKeyPrefix}rl:`,
      // A Redis outage already turns session reads into 503s; the limiter should not add its own.
      skipOnError: true,
      allowList: (request) => !isBudgeted(request.method, request.url),
      errorResponseBuilder: (_request, context) => rateLimited(Math.ceil(context.ttl / 1000)),
    });

    // Counted on demand by the application tier, after its guard looked at the key: a budget per
    // key that anyone could spend by sending a made-up one would be no budget.
    const keyed = app.createRateLimit({
      max: config.push.rpRateLimitMax,
      timeWindow,
      allowList: () => false,
      keyGenerator: (request) =>
        `rp-key:${parseApiKey(bearerKey(request.headers.authorization) ?? '')?.keyId ?? 'none'}`,
    });
    const refused = app.createRateLimit({
      max: config.rateLimit.max,
      timeWindow,
      allowList: () => false,
      keyGenerator: (request) => `rp-refused:${request.ip}`,
    });
    const spend = async (limiter: typeof keyed, request: FastifyRequest) => {
      const verdict = await limiter(request);
      if (!verdict.isAllowed && verdict.isExceeded) throw rateLimited(verdict.ttlInSeconds);
    };
    app.decorate('applicationBudgets', {
      spendKeyed: (request: FastifyRequest) => spend(keyed, request),
      spendRefused: (request: FastifyRequest) => spend(refused, request),
    });
  },
  { name: 'rate-limit', dependencies: ['redis'] },
);
