import type { Redis } from 'ioredis';

export interface Ban {
  scope: string;
  subject: string;
  attempts: number;
  secondsLeft: number;
}

/**
 * The brute-force counters (see lib/regulator.ts) that have reached their limit. `limits` maps a
 * scope (password, password-ip, totp, recovery, ...) to its limit; unknown scopes use `fallback`.
 */
export async function listBans(
  redis: Redis,
  prefix: string,
  limits: Record<string, number>,
  fallback: number,
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
      if (attempts >= (limits[scope] ?? fallback) && ttl > 0)
        bans.push({ scope, subject, attempts, secondsLeft: ttl });
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
