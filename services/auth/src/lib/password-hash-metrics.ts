import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { type Argon2Params, PasswordHasher } from './passwords.ts';

/** argon2id at OWASP's cost takes tens of milliseconds; seconds mean the thread pool is saturated. */
const HASH_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** A PasswordHasher whose durations, backlog, bound and refusals show on the registry. */
export function createMeasuredPasswordHasher(
  params: Argon2Params,
  maxPending: number,
  registry: Registry,
  maxConcurrent = Number.POSITIVE_INFINITY,
): PasswordHasher {
  const duration = new Histogram({
    name: 'twofold_password_hash_duration_seconds',
    help: 'argon2id (or legacy bcrypt) work per password hash or verification, once admitted',
    labelNames: ['operation'] as const,
    buckets: HASH_BUCKETS,
    registers: [registry],
  });
  const refused = new Counter({
    name: 'twofold_password_hash_refused_total',
    help: 'Password hashes and verifications refused because too many were pending (503)',
    registers: [registry],
  });
  const hasher = new PasswordHasher(
    params,
    maxPending,
    {
      finished: (operation, seconds) => duration.observe({ operation }, seconds),
      refused: () => refused.inc(),
    },
    maxConcurrent,
  );
  new Gauge({
    name: 'twofold_password_hash_pending',
    help: 'Password hashes and verifications started and not finished',
    registers: [registry],
    collect() {
      this.set(hasher.pending);
    },
  });
  // Unbounded has no meaningful value: the series is left out rather than exported as +Inf.
  if (Number.isFinite(maxPending)) {
    new Gauge({
      name: 'twofold_password_hash_pending_limit',
      help: 'Pending password hashes past which new ones are refused (TWOFOLD_ARGON2_MAX_PENDING)',
      registers: [registry],
    }).set(maxPending);
  }
  return hasher;
}
