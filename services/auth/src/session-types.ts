export type SessionState = 'password_verified' | 'enrollment_required' | 'authenticated';

export interface SessionData {
  userId: string;
  username: string;
  state: SessionState;
  /** Epoch ms after which the session is gone, whatever its activity (absolute timeout). */
  expiresAt: number;
  authenticatedAt?: number;
  /**
   * Epoch ms when this session proved a second factor at the login step (TOTP, recovery code, email
   * or phone code, push). Absent on a session that is "authenticated" by the password alone (2FA
   * optional) or by confirming a new authenticator, which takes nothing but the password.
   */
  secondFactorAt?: number;
  /**
   * Epoch ms of the last step this session proved (the password, a second factor, a passkey): an
   * OpenID client's prompt=login or max_age asks for one made after a given moment.
   */
  provenAt?: number;
  /** How the session was signed in (RFC 8176 values, e.g. ['pwd', 'otp']), set with secondFactorAt. */
  amr?: string[];
  /** When and from where the password step happened, for the user's list of sessions. */
  createdAt?: number;
  ip?: string;
  userAgent?: string;
}

declare module 'fastify' {
  interface Session extends Partial<SessionData> {}
}
