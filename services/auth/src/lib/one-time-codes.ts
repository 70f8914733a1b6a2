import { createHmac, randomInt } from 'node:crypto';

export const CODE_DIGITS = 6;

/** Six digits, uniform over 000000-999999 (randomInt draws without modulo bias). */
export function newOneTimeCode(): string {
  return String(randomInt(10 ** CODE_DIGITS)).padStart(CODE_DIGITS, '0');
}

/**
 * The key that hashes one-time codes (email and phone), derived from the session secret. A 6-digit code has only a
 * million values, so a plain SHA-256 of it is reversed by trying them all in a millisecond by
 * anyone who reads the table (a dump, a backup, a replica). Keyed with a secret that never enters
 * the database, the hash tells them nothing. The derivation keeps this use apart from the
 * secret's other one (signing cookies); rotating the secret only voids codes still in flight.
 */
export function oneTimeCodeKey(sessionSecret: string): Buffer {
  return createHmac('sha256', sessionSecret).update('twofold email codes v1').digest();
}

/** The user's id is in the MAC too, so one code given to two users is stored as two unrelated hashes. */
export function hashOneTimeCode(key: Buffer, userId: string, code: string): Buffer {
  return createHmac('sha256', key).update(`${userId}:${code}`).digest();
}

/** "alice@example.org" -> "a***@example.org": enough to recognise one's own address, not to learn it. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 1) return '***';
  return `${email.slice(0, 1)}***${email.slice(at)}`;
}
