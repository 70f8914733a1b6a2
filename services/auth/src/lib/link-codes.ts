// Link codes: how a user links an application. The APPLICATION vouches for the username (it asks for a
// code for one of its users, with its API key, and shows it to that user only, signed in there); the
// USER vouches for the Twofold account (they enter the code on their account page, signed in here).
// Nobody can claim another person's username at an application by typing it.
import { createHmac, randomInt } from 'node:crypto';
import type { Redis } from 'ioredis';

/** No 0/O, 1/I/L, U (read as V): what a person reads off one screen and types into another. */
export const LINK_CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTVWXYZ23456789';
/** 30^10, about 2^49: with a few attempts per user and a 10-minute life, not guessable. */
export const LINK_CODE_LENGTH = 10;
const CODE = new RegExp(`^[${LINK_CODE_ALPHABET}]{${LINK_CODE_LENGTH}}$`);

/** What the code stands for: the application that asked, and its username for its user. */
export interface LinkGrant {
  applicationId: string;
  /** The application's name when the code was made; checked against the id when it is entered. */
  application: string;
  appUsername: string;
}

/** Ten characters from the alphabet, shown as XXXXX-XXXXX. */
export function newLinkCode(): string {
  let code = '';
  for (let i = 0; i < LINK_CODE_LENGTH; i += 1)
    code += LINK_CODE_ALPHABET[randomInt(LINK_CODE_ALPHABET.length)];
  return `${code.slice(0, 5)}-${code.slice(5)}`;
}

/** A code as people type it (lower case, spaces, the dash or none) to its ten characters; else undefined. */
export function normalizeLinkCode(input: string): string | undefined {
  const code = input.toUpperCase().replace(/[\s-]+/g, '');
  return CODE.test(code) ? code : undefined;
}

/**
 * The key that hashes link codes, derived from the session secret (kept apart from its other uses).
 * A code is a bearer secret for ten minutes: whoever reads Redis sees only its MAC.
 */
export function linkCodeKey(sessionSecret: string): Buffer {
  return createHmac('sha256', sessionSecret).update('twofold link codes v1').digest();
}

const isGrant = (value: unknown): value is LinkGrant => {
  const v = value as Record<string, unknown> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.applicationId === 'string' &&
    typeof v.application === 'string' &&
    typeof v.appUsername === 'string'
  );
};

/** Link codes in Redis, shared by every replica: made by one, entered through any other, once. */
export class LinkCodes {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly hashKey: Buffer,
  ) {}

  private key(normalized: string): string {
    const mac = createHmac('sha256', this.hashKey).update(normalized).digest('base64url');
    return `${this.prefix}link-code:${mac}`;
  }

  async create(grant: LinkGrant, ttlSeconds: number): Promise<{ code: string; expiresAt: number }> {
    for (;;) {
      const code = newLinkCode();
      const expiresAt = Date.now() + ttlSeconds * 1000;
      // NX: a code that happens to be live already is never overwritten (then another is drawn).
      const set = await this.redis.set(
        this.key(normalizeLinkCode(code) as string),
        JSON.stringify(grant),
        'EX',
        ttlSeconds,
        'NX',
      );
      if (set === 'OK') return { code, expiresAt };
    }
  }

  /**
   * What the code was made for, once (GETDEL: two replicas entering it at once cannot both get it);
   * undefined for a spent, expired, mistyped or made-up code.
   */
  async redeem(typed: string): Promise<LinkGrant | undefined> {
    const code = normalizeLinkCode(typed);
    if (code === undefined) return undefined;
    const stored = await this.redis.getdel(this.key(code));
    if (stored === null) return undefined;
    try {
      const grant: unknown = JSON.parse(stored);
      return isGrant(grant) ? grant : undefined;
    } catch {
      return undefined;
    }
  }
}
