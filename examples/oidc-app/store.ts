// The example's server-side state, in memory: sign-ins under way and signed-in sessions, each under a
// random id that is all its cookie holds. A restart forgets everything (enough for an example).
import { randomBytes } from 'node:crypto';
import type { IDToken, UserInfoResponse } from 'openid-client';

/** A sign-in sent to Twofold and not back yet: what the callback must check. */
export interface PendingLogin {
  codeVerifier: string;
  state: string;
  nonce: string;
  /** The redirect_uri of the authorization request, which the token request repeats. */
  redirectUri: string;
  expiresAt: number;
}

export interface Session {
  expiresAt: number;
  /** Sent as id_token_hint at sign-out. */
  idToken: string;
  claims: IDToken;
  userinfo: UserInfoResponse;
  accessToken: string;
  /** Milliseconds since the epoch; undefined when the provider said nothing. */
  accessTokenExpiresAt?: number;
  refreshToken?: string;
  scope?: string;
  signedInAt: number;
  refreshCount: number;
  refreshedAt?: number;
  /** A refresh under way: a second one waits for it (reusing a rotated refresh token revokes the grant). */
  refreshing?: Promise<unknown>;
}

/** Entries that expire, at most `max` of them (the oldest go first), swept now and then. */
export class MemoryStore<T extends { expiresAt: number }> {
  readonly #entries = new Map<string, T>();

  constructor(readonly max: number) {}

  get size(): number {
    return this.#entries.size;
  }

  /** Stores the value under a new random id, which it returns. */
  add(value: T): string {
    const id = randomBytes(32).toString('base64url');
    this.#entries.set(id, value);
    while (this.#entries.size > this.max) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
    return id;
  }

  get(id: string | undefined): T | undefined {
    if (!id) return undefined;
    const value = this.#entries.get(id);
    if (value && value.expiresAt <= Date.now()) {
      this.#entries.delete(id);
      return undefined;
    }
    return value;
  }

  /** The value, removed: it serves once. */
  take(id: string | undefined): T | undefined {
    const value = this.get(id);
    if (id && value) this.#entries.delete(id);
    return value;
  }

  delete(id: string | undefined): void {
    if (id) this.#entries.delete(id);
  }

  sweep(now = Date.now()): void {
    for (const [id, value] of this.#entries) if (value.expiresAt <= now) this.#entries.delete(id);
  }
}
