import type { Redis } from 'ioredis';
import { redisScript } from '../../../common/src/redis-script.ts';
import type { BudgetScope, BudgetTable } from '../factors/budgets.ts';

/**
 * Brute-force regulation shared by every replica through Redis.
 *
 * An attempt is *consumed before* the credential is checked, in one atomic script, so N parallel
 * attempts through N replicas can never all see "under the limit" and all go through (the race of
 * advisory GHSA-7h8m-vrxx-vr4m). A success resets the counter; a failure leaves it counted.
 *
 * A counter lives one window from its first attempt, and the consume script does not trust what it
 * finds. A cluster that had been through many Redis failovers and restarts held thousands of
 * counters without an expiry, some below zero, which these scripts never write on a master (the
 * refund stops at zero). Restarting Redis (Debian's 7.0.15) made more: a counter whose window ended
 * about when Redis stopped came back from the append-only file without its expiry (BENCHMARKS.md).
 * One without an expiry never resets: past its limit, a lockout for good. So a counter without an
 * expiry, or below one, belongs to no window we know: it starts again at one, with a window.
 */
const CONSUME_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('TTL', KEYS[1])
if count ~= 1 and (count < 1 or ttl < 0) then
  count = 1
  redis.call('SET', KEYS[1], count)
end
if count == 1 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
`;

const REFUND_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 and tonumber(redis.call('GET', KEYS[1])) > 0 then
  return redis.call('DECR', KEYS[1])
end
return 0
`;

const EXHAUST_SCRIPT = `
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end
redis.call('EXPIRE', KEYS[1], ARGV[2])
`;

const consumeAttempt = redisScript('twofoldConsumeAttempt', CONSUME_SCRIPT, 1);
const refundAttempt = redisScript('twofoldRefundAttempt', REFUND_SCRIPT, 1);
const exhaustBudget = redisScript('twofoldExhaustBudget', EXHAUST_SCRIPT, 1);

export interface Verdict {
  allowed: boolean;
  /** Attempts counted in the window, this one included. */
  count: number;
  retryAfterSeconds: number;
}

/** No delay for the first three attempts of a window, then 250 ms doubling up to 4 s. */
export function progressiveDelayMs(count: number): number {
  return count <= 3 ? 0 : Math.min(250 * 2 ** (count - 4), 4_000);
}

/** Each scope's limit and window come from the one table of budgets (factors/budgets.ts). */
export class Regulator {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly budgets: BudgetTable,
    /** Told the scope (never the subject) each time a budget refuses an attempt. */
    private readonly onRefused?: (scope: string) => void,
  ) {}

  async consume(scope: BudgetScope, subject: string): Promise<Verdict> {
    const { limit, windowSeconds } = this.budgets[scope];
    const key = `${this.prefix}${scope}:${subject}`;
    const [count, ttl] = (await consumeAttempt(this.redis, key, String(windowSeconds))) as [number, number];
    const allowed = count <= limit;
    if (!allowed) this.onRefused?.(scope);
    return { allowed, count, retryAfterSeconds: Math.max(1, ttl) };
  }

  /** Gives back one consumed attempt (for a success that must not count against a shared subject). */
  async refund(scope: BudgetScope, subject: string): Promise<void> {
    await refundAttempt(this.redis, `${this.prefix}${scope}:${subject}`);
  }

  /** Spends the whole budget at once, for a fresh window: what a clear sign of attack calls for. */
  async exhaust(scope: BudgetScope, subject: string): Promise<void> {
    const { limit, windowSeconds } = this.budgets[scope];
    await exhaustBudget(
      this.redis,
      `${this.prefix}${scope}:${subject}`,
      String(limit),
      String(windowSeconds),
    );
  }

  async reset(scope: BudgetScope, subject: string): Promise<void> {
    await this.redis.del(`${this.prefix}${scope}:${subject}`);
  }
}
