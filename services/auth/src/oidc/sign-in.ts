// What the provider learns of the Twofold session behind a request: the login pages are the
// provider's interaction, so an OpenID login is a Twofold sign-in with the factors the client asks for.
import type { IncomingMessage } from 'node:http';
import type { Session } from 'fastify';
import type { Policy } from '../lib/application-access.ts';
import type { SessionState } from '../session-types.ts';

export const ACR_MFA = 'urn:twofold:acr:mfa';
export const ACR_PASSWORD = 'urn:twofold:acr:pwd';

export interface TwofoldSignIn {
  userId: string;
  username: string;
  state: SessionState;
  /** RFC 8176 values; "mfa" added when two factors were proven. */
  amr: string[];
  /** Seconds since the epoch: when the last factor was proven. */
  authTime: number;
  /** The same in ms, to tell a sign-in made after a given moment. */
  provenAt: number;
  /** A second factor was proven at this login (not merely enrolled). */
  secondFactor: boolean;
}

/** What the replica hands the provider with each request (the provider runs outside Fastify's hooks). */
export interface TwofoldRequest {
  signIn: TwofoldSignIn | undefined;
  /** Ends the Twofold session too, at an OpenID logout (single sign-out). */
  endSession(): Promise<void>;
  ip: string;
  userAgent: string | undefined;
  requestId: string;
}

const TWOFOLD = Symbol('twofold');

export function attachTwofold(raw: IncomingMessage, context: TwofoldRequest): void {
  (raw as IncomingMessage & { [TWOFOLD]?: TwofoldRequest })[TWOFOLD] = context;
}

export function twofoldOf(raw: IncomingMessage): TwofoldRequest | undefined {
  return (raw as IncomingMessage & { [TWOFOLD]?: TwofoldRequest })[TWOFOLD];
}

export function signInOf(session: Partial<Session> | undefined): TwofoldSignIn | undefined {
  if (!session?.userId || !session.username || !session.state) return undefined;
  const secondFactor = session.state === 'authenticated' && typeof session.secondFactorAt === 'number';
  const amr = secondFactor ? [...(session.amr ?? ['pwd', 'otp'])] : ['pwd'];
  if (secondFactor && !amr.includes('mfa')) amr.push('mfa');
  const provenAt =
    session.provenAt ??
    (secondFactor ? (session.secondFactorAt as number) : (session.createdAt ?? Date.now()));
  return {
    userId: session.userId,
    username: session.username,
    state: session.state,
    amr,
    authTime: Math.floor(provenAt / 1000),
    provenAt,
    secondFactor,
  };
}

/** two_factor (the default): both factors proven at this login; one_factor: the password was. */
export function meetsPolicy(signIn: TwofoldSignIn | undefined, policy: Policy): boolean {
  if (!signIn) return false;
  return policy === 'one_factor' ? true : signIn.secondFactor;
}

export function loginResult(signIn: TwofoldSignIn) {
  return {
    accountId: signIn.userId,
    amr: signIn.amr,
    acr: signIn.secondFactor ? ACR_MFA : ACR_PASSWORD,
    ts: signIn.authTime,
    remember: true,
  };
}
