// WebAuthn challenges in Redis, shared by every replica: issued by one, answered through any other,
// once. The challenge itself is the key: it is random (32 bytes) and a signature binds it, so there is
// nothing to gain from hashing it.
import type { Redis } from 'ioredis';

export type WebAuthnPurpose = 'registration' | 'second-factor' | 'passkey';

/** What a challenge was issued for, besides its purpose. */
export interface WebAuthnChallengeGrant {
  userId?: string;
  /** Registration only: a passkey (resident key, user verification) was asked for. */
  passkey?: boolean;
  /** The session it was issued to: only that session may answer it. */
  sessionId?: string;
}

const CHALLENGE = /^[A-Za-z0-9_-]{1,128}$/;

/** Whether a string can be a challenge we issued: base64url, at most 128 characters. */
export const isChallenge = (value: string): boolean => CHALLENGE.test(value);

interface Stored extends WebAuthnChallengeGrant {
  purpose: WebAuthnPurpose;
}

const isStored = (value: unknown): value is Stored => {
  const v = value as Record<string, unknown> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.purpose === 'string' &&
    (v.userId === undefined || typeof v.userId === 'string') &&
    (v.passkey === undefined || typeof v.passkey === 'boolean') &&
    (v.sessionId === undefined || typeof v.sessionId === 'string')
  );
};

export class WebAuthnChallenges {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlSeconds = 300,
  ) {}

  private key(challenge: string): string {
    return `${this.prefix}webauthn:challenge:${challenge}`;
  }

  async issue(
    challenge: string,
    purpose: WebAuthnPurpose,
    userId?: string,
    details: { passkey?: boolean; sessionId?: string } = {},
  ): Promise<void> {
    if (!isChallenge(challenge)) throw new Error('a WebAuthn challenge is base64url, at most 128 characters');
    const stored: Stored = { purpose, ...(userId ? { userId } : {}), ...details };
    await this.redis.set(this.key(challenge), JSON.stringify(stored), 'EX', this.ttlSeconds);
  }

  /**
   * What the challenge was issued for, once (GETDEL: two replicas answering it at once cannot both
   * get it); undefined if it was never issued, has expired, was taken already or was issued for
   * another purpose (it is spent all the same).
   */
  async take(challenge: string, purpose: WebAuthnPurpose): Promise<WebAuthnChallengeGrant | undefined> {
    if (!isChallenge(challenge)) return undefined;
    const raw = await this.redis.getdel(this.key(challenge));
    if (raw === null) return undefined;
    let stored: unknown;
    try {
      stored = JSON.parse(raw);
    } catch {
      return undefined;
    }
    if (!isStored(stored) || stored.purpose !== purpose) return undefined;
    return {
      ...(stored.userId !== undefined ? { userId: stored.userId } : {}),
      ...(stored.passkey !== undefined ? { passkey: stored.passkey } : {}),
      ...(stored.sessionId !== undefined ? { sessionId: stored.sessionId } : {}),
    };
  }
}
