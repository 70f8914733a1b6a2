import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';

/** The cookie's and the Redis keys' names keep their first spelling ("device"): browsers and counters hold them. */
export const BROWSER_COOKIE = 'twofold_device';
const BROWSER_TTL_SECONDS = 30 * 24 * 3600;

/**
 * The lockout rule for the rightful user: a browser that has completed a login for an account gets
 * a signed cookie, and its attempts on that account count against a budget of its own. An attacker
 * who knows a username (or even the password) can exhaust the account's shared budget, but not the
 * budget of the user's own browser, so a lockout cannot be used to keep the user out.
 */
export class TrustedBrowsers {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(accountKey: string): string {
    return `${this.prefix}devices:${accountKey}`;
  }

  /** The id of this browser if it is trusted for the account, else undefined. */
  async recognise(request: FastifyRequest, accountKey: string): Promise<string | undefined> {
    const raw = request.cookies[BROWSER_COOKIE];
    if (!raw) return undefined;
    const unsigned = request.unsignCookie(raw);
    if (!unsigned.valid || !unsigned.value) return undefined;
    const known = await this.redis.sismember(this.key(accountKey), unsigned.value);
    return known === 1 ? unsigned.value : undefined;
  }

  /** After a complete login: trust this browser for the account (for 30 days, renewed at each login). */
  async remember(request: FastifyRequest, reply: FastifyReply, accountKey: string): Promise<void> {
    const browserId = (await this.recognise(request, accountKey)) ?? randomBytes(18).toString('base64url');
    await this.redis
      .multi()
      .sadd(this.key(accountKey), browserId)
      .expire(this.key(accountKey), BROWSER_TTL_SECONDS)
      .exec();
    reply.setCookie(BROWSER_COOKIE, browserId, {
      signed: true,
      httpOnly: true,
      sameSite: 'lax',
      path: '/api/v1/login',
      maxAge: BROWSER_TTL_SECONDS,
      secure: request.protocol === 'https',
    });
  }

  async forgetAll(accountKey: string): Promise<void> {
    await this.redis.del(this.key(accountKey));
  }
}

/** The subject a brute-force counter is kept under: the account, or the account as seen from a trusted browser. */
export function attemptSubject(account: string, browserId: string | undefined): string {
  return browserId ? `${account}:device:${browserId}` : account;
}
