// The web example's own session: a signed cookie (@fastify/cookie), no server-side store and nothing
// of Twofold's. Signed, not encrypted: the browser can read it (its username, the verification's id)
// but not change it. SameSite=Strict keeps it off every request another site starts.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { VerificationMethod } from '../rp-client.ts';

export const SESSION_COOKIE = 'rp_web_session';
/** From a correct password to the second factor. */
export const SECOND_FACTOR_SECONDS = 10 * 60;
export const SIGNED_IN_SECONDS = 8 * 60 * 60;

export interface PendingVerification {
  id: string;
  method: VerificationMethod;
  number?: number;
}

export type Session =
  /**
   * The password was right; Twofold has not vouched yet. `unlinked`: Twofold said no Twofold account
   * has linked this user yet, so the user may get a link code (GET /link) before the second factor.
   */
  | {
      stage: 'second-factor';
      user: string;
      exp: number;
      verification?: PendingVerification;
      unlinked?: true;
    }
  | { stage: 'signed-in'; user: string; exp: number };

export function readSession(request: FastifyRequest): Session | undefined {
  const raw = request.cookies[SESSION_COOKIE];
  if (!raw) return undefined;
  const unsigned = request.unsignCookie(raw);
  if (!unsigned.valid || unsigned.value === null) return undefined;
  let session: unknown;
  try {
    session = JSON.parse(Buffer.from(unsigned.value, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isSession(session) || session.exp * 1000 <= Date.now()) return undefined;
  return session;
}

export function writeSession(reply: FastifyReply, session: Session): void {
  const value = Buffer.from(JSON.stringify(session)).toString('base64url');
  reply.setCookie(SESSION_COOKIE, value, {
    signed: true,
    httpOnly: true,
    sameSite: 'strict',
    secure: 'auto',
    path: '/',
    maxAge: Math.max(0, session.exp - Math.floor(Date.now() / 1000)),
  });
}

export function clearSession(reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'strict', secure: 'auto' });
}

export const secondsFromNow = (seconds: number) => Math.floor(Date.now() / 1000) + seconds;

function isSession(value: unknown): value is Session {
  if (typeof value !== 'object' || value === null) return false;
  const s = value as Record<string, unknown>;
  if (typeof s.user !== 'string' || typeof s.exp !== 'number') return false;
  if (s.stage === 'signed-in') return true;
  if (s.stage !== 'second-factor') return false;
  if (s.unlinked !== undefined && s.unlinked !== true) return false;
  if (s.verification === undefined) return true;
  const v = s.verification as Record<string, unknown> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.id === 'string' &&
    (v.method === 'push' || v.method === 'code') &&
    (v.number === undefined || typeof v.number === 'number')
  );
}
