import type { FastifyRequest } from 'fastify';
import { forbiddenState, unauthenticated } from '../errors.ts';
import type { SessionData, SessionState } from '../session-types.ts';
import type { RedisSessionStore } from './session-store.ts';

export const SESSION_COOKIE = 'twofold_sid';

/**
 * Moves the session to a new state, then writes it and waits for the write to be acknowledged
 * before the caller answers. A session that came with the request (loaded from the store under the
 * cookie's id) goes to a *new id* and the old one is destroyed, so that no id known before a factor
 * was proven is signed in after it. A session @fastify/session made for this request (no cookie,
 * or one whose session is gone) already has an id generated here that no one has seen: it is
 * written under that id, which saves a login's password step a Redis round trip. The absolute
 * deadline set at the password step carries over, so factor steps do not extend a session's life.
 */
export async function establishSession(
  request: FastifyRequest,
  data: Pick<SessionData, 'userId' | 'username' | 'state' | 'secondFactorAt' | 'amr'>,
  absoluteSeconds: number,
): Promise<void> {
  const sameUser = request.session.userId === data.userId;
  const expiresAt =
    sameUser && request.session.expiresAt ? request.session.expiresAt : Date.now() + absoluteSeconds * 1000;
  const createdAt = sameUser && request.session.createdAt ? request.session.createdAt : Date.now();
  // Either sign of a loaded session suffices: every record in the store has a deadline.
  if (cameWithRequest(request) || request.session.expiresAt !== undefined) await request.session.regenerate();
  request.session.createdAt = createdAt;
  request.session.ip = request.ip;
  request.session.userAgent = request.headers['user-agent']?.slice(0, 256);
  request.session.userId = data.userId;
  request.session.username = data.username;
  request.session.state = data.state;
  request.session.expiresAt = expiresAt;
  request.session.provenAt = Date.now();
  if (data.state === 'authenticated') request.session.authenticatedAt = Date.now();
  if (data.secondFactorAt) request.session.secondFactorAt = data.secondFactorAt;
  if (data.amr) request.session.amr = data.amr;
  await request.session.save();
}

/** Whether the session's id is the one the request's cookie carried: @fastify/session loaded it. */
function cameWithRequest(request: FastifyRequest): boolean {
  const cookie = request.cookies[SESSION_COOKIE];
  if (!cookie) return false;
  const unsigned = request.unsignCookie(cookie);
  return unsigned.valid && unsigned.value === request.session.sessionId;
}

function userOf(session: Partial<Pick<SessionData, 'userId' | 'username' | 'state' | 'expiresAt'>>) {
  const { userId, username, state, expiresAt } = session;
  if (!userId || !username || !state || !expiresAt) return undefined;
  return { userId, username, state, expiresAt };
}

export function sessionUser(request: FastifyRequest): SessionData | undefined {
  return userOf(request.session);
}

/**
 * The session's user for a route outside @fastify/session's context (app.ts), the forward-auth
 * check, by the steps @fastify/session takes: the cookie's signature (the same secret and HMAC),
 * then the store's read, which slides the idle timeout and checks the record's MAC.
 */
export async function readSessionUser(
  request: FastifyRequest,
  store: RedisSessionStore,
): Promise<SessionData | undefined> {
  const cookie = request.cookies[SESSION_COOKIE];
  if (!cookie) return undefined;
  const unsigned = request.unsignCookie(cookie);
  if (!unsigned.valid || !unsigned.value) return undefined;
  const stored = await store.load(unsigned.value);
  return stored ? userOf(stored as Partial<SessionData>) : undefined;
}

/** The guard of a security tier: the session must exist and be in one of the given states. */
export function requireState(...states: SessionState[]) {
  return async function guard(request: FastifyRequest): Promise<void> {
    const user = sessionUser(request);
    if (!user) throw unauthenticated();
    if (!states.includes(user.state)) throw forbiddenState();
  };
}

export function currentUser(request: FastifyRequest): SessionData {
  const user = sessionUser(request);
  if (!user) throw unauthenticated();
  return user;
}
