import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * Pairing tokens: 32 random bytes handed to the user's browser (in the QR code's link), kept in
 * Redis only as a hash, redeemed at most once (GETDEL) within their short life.
 */
export class Pairings {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(token: string): string {
    return `${this.prefix}pairing:${createHash('sha256').update(token).digest('base64url')}`;
  }

  async create(userId: string, ttlSeconds: number): Promise<{ token: string; expiresAt: number }> {
    const token = randomBytes(32).toString('base64url');
    await this.redis.set(this.key(token), userId, 'EX', ttlSeconds);
    return { token, expiresAt: Date.now() + ttlSeconds * 1000 };
  }

  /** The user the token was made for, once; undefined for a spent, expired or made-up token. */
  async redeem(token: string): Promise<string | undefined> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
    return (await this.redis.getdel(this.key(token))) ?? undefined;
  }
}
