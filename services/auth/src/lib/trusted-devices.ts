import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';

export const DEVICE_COOKIE = 'twofold_device';
const DEVICE_TTL_SECONDS = 30 * 24 * 3600;

/**
 * The lockout rule for the rightful user: a browser that has completed a login for an account gets
 * a signed cookie, and its attempts on that account count against a budget of its own. An attacker
 * who knows a username (or even the password) can exhaust the account's shared budget, but not the
 * budget of the user's own browser, so a lockout cannot be used to keep the user out.
 */
export class TrustedDevices {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(accountKey: string): string {
    return `${this.prefix}devices:${accountKey}`;
  }

  /** The device id of this browser if it is trusted for the account, else undefined. */
  async recognise(request: FastifyRequest, accountKey: string): Promise<string | undefined> {
    const raw = request.cookies[DEVICE_COOKIE];
    if (!raw) return undefined;
    const unsigned = request.unsignCookie(raw);
    if (!unsigned.valid || !unsigned.value) return undefined;
    const known = await this.redis.sismember(this.key(accountKey), unsigned.value);
    return known === 1 ? unsigned.value : undefined;
  }

  /** After a complete login: trust this browser for the account (for 30 days, renewed at each login). */
  async remember(request: FastifyRequest, reply: FastifyReply, accountKey: string): Promise<void> {
    const deviceId = (await this.recognise(request, accountKey)) ?? randomBytes(18).toString('base64url');
    await this.redis
      .multi()
      .sadd(this.key(accountKey), deviceId)
      .expire(this.key(accountKey), DEVICE_TTL_SECONDS)
      .exec();
    reply.setCookie(DEVICE_COOKIE, deviceId, {
      signed: true,
      httpOnly: true,
      sameSite: 'lax',
      path: '/api/v1/login',
      maxAge: DEVICE_TTL_SECONDS,
      secure: request.protocol === 'https',
    });
  }

  async forgetAll(accountKey: string): Promise<void> {
    await this.redis.del(this.key(accountKey));
  }
}

/** The subject a brute-force counter is kept under: the account, or the account as seen from a trusted browser. */
export function attemptSubject(account: string, deviceId: string | undefined): string {
  return deviceId ? `${account}:device:${deviceId}` : account;
}
