import type { Redis } from 'ioredis';

export interface Ban {
  scope: string;
  subject: string;
  attempts: number;
  /** The scope's limit (factors/budgets.ts); attempts beyond it are refused. */
  limit: number;
  secondsLeft: number;
}

/**
 * The brute-force counters (see lib/regulator.ts) that have reached their limit. `limits` maps a
 * scope (password, password-ip, totp, recovery, ...) to its limit, from the table of budgets;
 * a counter of a scope it does not name (a budget removed since) is shown against `fallback`.
 */
export async function listBans(
  redis: Redis,
  prefix: string,
  limits: Record<string, number>,
  fallback = 1,
): Promise<Ban[]> {
  const pattern = `${prefix}attempts:*`;
  const bans: Ban[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    cursor = next;
    for (const key of keys) {
      const [count, ttl] = await Promise.all([redis.get(key), redis.ttl(key)]);
      const rest = key.slice(`${prefix}attempts:`.length);
      const scope = rest.slice(0, rest.indexOf(':'));
      const subject = rest.slice(scope.length + 1);
      const attempts = Number(count);
      const limit = limits[scope] ?? fallback;
      if (attempts >= limit && ttl > 0) bans.push({ scope, subject, attempts, limit, secondsLeft: ttl });
    }
  } while (cursor !== '0');
  return bans.sort((a, b) => a.scope.localeCompare(b.scope) || a.subject.localeCompare(b.subject));
}

/**
 * Lifts every counter of a subject (a username key, a user id or an IP), in every scope, with those
 * of its trusted browsers and of the applications asking about it (`<user id>:app:<application id>`).
 */
export async function liftBans(redis: Redis, prefix: string, subject: string): Promise<number> {
  let lifted = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}attempts:*`, 'COUNT', 500);
    cursor = next;
    const mine = keys.filter((key) => {
      const rest = key.slice(`${prefix}attempts:`.length);
      const keySubject = rest.slice(rest.indexOf(':') + 1);
      return (
        keySubject === subject ||
        keySubject.startsWith(`${subject}:device:`) ||
        keySubject.startsWith(`${subject}:app:`)
      );
    });
    if (mine.length > 0) lifted += await redis.del(...mine);
  } while (cursor !== '0');
  return lifted;
}
