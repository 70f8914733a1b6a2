export type SessionState = 'password_verified' | 'enrollment_required' | 'authenticated';

export interface SessionData {
  userId: string;
  username: string;
  state: SessionState;
  /** Epoch ms after which the session is gone, whatever its activity (absolute timeout). */
  expiresAt: number;
  authenticatedAt?: number;
  /** When and from where the password step happened, for the user's list of sessions. */
  createdAt?: number;
  ip?: string;
  userAgent?: string;
}

declare module 'fastify' {
  interface Session extends Partial<SessionData> {}
}
