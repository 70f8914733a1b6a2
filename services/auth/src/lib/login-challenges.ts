import { createHmac, randomInt } from 'node:crypto';
import { type Challenge, createChallenge, verifySolution } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/pbkdf2';
import type { Redis } from 'ioredis';
import type { LoginChallengeConfig } from '../config-login-challenge.ts';

/**
 * PBKDF2 rather than one SHA-256 per try: each try is long enough (about 1 ms) that a browser's
 * WebCrypto runs it at native speed, so a native solver gains little over the rightful user's browser.
 */
export const CHALLENGE_ALGORITHM = 'PBKDF2/SHA-256';
const CHALLENGE_COST = 5_000;
/** A spent challenge is remembered a little past its expiry: the replicas' clocks may differ a little. */
const CLOCK_MARGIN_SECONDS = 60;

export type Redemption =
  | 'solved'
  | 'missing'
  | 'malformed'
  | 'invalid'
  | 'expired'
  | 'other_account'
  | 'replayed';

interface Payload {
  challenge: Challenge;
  solution: { counter: number; derivedKey: string };
}

/**
 * Proof-of-work challenges (ALTCHA v2, deterministic mode) for a login past the account's budget:
 * the rightful user's browser spends about a second, a botnet pays that for every guess. A challenge
 * is signed, bound to one account, expires, and is taken once across all replicas (Redis SET NX).
 */
export class LoginChallenges {
  readonly #signatureSecret: string;
  readonly #keySignatureSecret: string;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    sessionSecret: string,
    private readonly settings: LoginChallengeConfig,
  ) {
    // Derived, never stored: every auth replica has the session secret, so any replica checks any answer.
    this.#signatureSecret = derivedSecret(sessionSecret, 'twofold login challenges v1');
    this.#keySignatureSecret = derivedSecret(sessionSecret, 'twofold login challenge keys v1');
  }

  /** A fresh challenge for attempts on this account (the username's key, whether the account exists or not). */
  issue(accountKey: string): Promise<Challenge> {
    const { maxNumber, ttlSeconds } = this.settings;
    return createChallenge({
      algorithm: CHALLENGE_ALGORITHM,
      cost: CHALLENGE_COST,
      deriveKey,
      // Never below half the maximum, so every challenge costs about the same.
      counter: randomInt(Math.ceil(maxNumber / 2), maxNumber + 1),
      data: { account: this.accountTag(accountKey) },
      expiresAt: new Date(Date.now() + ttlSeconds * 1000),
      hmacSignatureSecret: this.#signatureSecret,
      hmacKeySignatureSecret: this.#keySignatureSecret,
    });
  }

  /** Checks a solved challenge (an ALTCHA payload: base64 of `{challenge, solution}`) and spends it. */
  async redeem(encoded: string | undefined, accountKey: string): Promise<Redemption> {
    if (!encoded) return 'missing';
    const payload = decodePayload(encoded);
    if (!payload) return 'malformed';
    let verdict: Awaited<ReturnType<typeof verifySolution>>;
    try {
      verdict = await verifySolution({
        ...payload,
        deriveKey,
        hmacSignatureSecret: this.#signatureSecret,
        hmacKeySignatureSecret: this.#keySignatureSecret,
      });
    } catch {
      return 'malformed';
    }
    const { parameters, signature } = payload.challenge;
    if (verdict.expired) return 'expired';
    if (!verdict.verified || !parameters.expiresAt || !signature) return 'invalid';
    if (parameters.data?.account !== this.accountTag(accountKey)) return 'other_account';
    const ttlSeconds =
      Math.max(1, Math.ceil(parameters.expiresAt - Date.now() / 1000)) + CLOCK_MARGIN_SECONDS;
    const first = await this.redis.set(
      `${this.prefix}login-challenge:spent:${signature}`,
      '1',
      'EX',
      ttlSeconds,
      'NX',
    );
    return first === 'OK' ? 'solved' : 'replayed';
  }

  /** Names the account inside the challenge without echoing the username. */
  private accountTag(accountKey: string): string {
    return createHmac('sha256', this.#signatureSecret).update(accountKey).digest('base64url').slice(0, 22);
  }
}

function derivedSecret(sessionSecret: string, purpose: string): string {
  return createHmac('sha256', sessionSecret).update(purpose).digest('hex');
}

function decodePayload(encoded: string): Payload | undefined {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
  const payload = value as Partial<Payload> | null;
  const challenge = payload?.challenge;
  const solution = payload?.solution;
  const wellFormed =
    typeof challenge?.parameters === 'object' &&
    challenge.parameters !== null &&
    typeof challenge.signature === 'string' &&
    typeof solution?.counter === 'number' &&
    typeof solution.derivedKey === 'string';
  return wellFormed ? { challenge, solution } : undefined;
}
