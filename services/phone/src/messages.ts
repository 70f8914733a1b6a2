// What the push gateway sends (frames) and what the sealed messages inside them say, checked
// field by field: a phone must not act on a payload it only half understands.
import type { Sealed } from '../public/lib/device-crypto.js';
import { type Account, isAccount } from './state.ts';

export interface MessageFrame {
  type: 'message';
  id: string;
  expiresAt: number;
  sealed: Sealed;
}

export type ServerFrame =
  | { type: 'challenge'; nonce: string }
  | { type: 'ready'; replica: string }
  | MessageFrame;

export interface LoginPrompt {
  challengeId: string;
  username: string;
  ip: string;
  userAgent: string;
  createdAt: number;
  expiresAt: number;
  choices: number[];
  /** Set when an application asks (the verification API): "<application> asks you to confirm". */
  application?: string;
}

export interface PushedCode {
  username: string;
  code: string;
  expiresAt: number;
  /** The application whose verification the code is for, if one's. */
  application?: string;
}

export type PhoneMessage =
  | ({ type: 'account' } & Account)
  | ({ type: 'login' } & LoginPrompt)
  | ({ type: 'code' } & PushedCode);

const isString = (value: unknown): value is string => typeof value === 'string';
const isTime = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null;
/** Absent, or a name to show; anything else makes the whole message one this phone does not act on. */
const isApplication = (value: unknown): value is string | undefined =>
  value === undefined || (isString(value) && value.length > 0 && value.length <= 100);
const withApplication = (application: string | undefined) =>
  application === undefined ? {} : { application };

/** A frame from the gateway, or undefined for anything this phone does not know. */
export function parseServerFrame(text: string): ServerFrame | undefined {
  let frame: unknown;
  try {
    frame = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(frame)) return undefined;
  if (frame.type === 'challenge' && isString(frame.nonce)) return { type: 'challenge', nonce: frame.nonce };
  if (frame.type === 'ready' && isString(frame.replica)) return { type: 'ready', replica: frame.replica };
  if (frame.type === 'message' && isString(frame.id) && isRecord(frame.sealed)) {
    const { epk, iv, ct, mac } = frame.sealed;
    if (isString(epk) && isString(iv) && isString(ct) && isString(mac)) {
      const expiresAt = isTime(frame.expiresAt) ? frame.expiresAt : Number.POSITIVE_INFINITY;
      return { type: 'message', id: frame.id, expiresAt, sealed: { epk, iv, ct, mac } };
    }
  }
  return undefined;
}

/** The opened payload as a typed message, or undefined if it is not one of the protocol's. */
export function parsePhoneMessage(payload: unknown): PhoneMessage | undefined {
  if (!isRecord(payload)) return undefined;
  switch (payload.type) {
    case 'account': {
      const account = {
        userId: payload.userId,
        username: payload.username,
        issuer: payload.issuer,
        secret: payload.secret,
        algorithm: payload.algorithm ?? 'SHA1',
        digits: payload.digits ?? 6,
        period: payload.period ?? 30,
      };
      return isAccount(account) ? { type: 'account', ...account } : undefined;
    }
    case 'login': {
      const { challengeId, username, ip, userAgent, createdAt, expiresAt, choices, application } = payload;
      if (
        ![challengeId, username, ip, userAgent].every(isString) ||
        !isTime(createdAt) ||
        !isTime(expiresAt) ||
        !isApplication(application)
      ) {
        return undefined;
      }
      if (!validChoices(choices)) return undefined;
      return {
        type: 'login',
        challengeId: challengeId as string,
        username: username as string,
        ip: ip as string,
        userAgent: userAgent as string,
        createdAt,
        expiresAt,
        choices: choices as number[],
        ...withApplication(application),
      };
    }
    case 'code': {
      const { username, code, expiresAt, application } = payload;
      if (!isString(username) || !isString(code) || !isTime(expiresAt) || !isApplication(application)) {
        return undefined;
      }
      return { type: 'code', username, code, expiresAt, ...withApplication(application) };
    }
    default:
      return undefined;
  }
}

/** Number matching only works with three different two-digit numbers; anything else is not a prompt. */
function validChoices(choices: unknown): choices is number[] {
  return (
    Array.isArray(choices) &&
    choices.length === 3 &&
    new Set(choices).size === 3 &&
    choices.every((n) => Number.isInteger(n) && n >= 10 && n <= 99)
  );
}
