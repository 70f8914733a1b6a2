// What a new password must be, as NIST SP 800-63B asks of a verifier: long enough, not one that
// attackers try first (a list of common and breached passwords), not the username. No composition
// rules (a digit, a symbol…): they make passwords harder to remember, not harder to guess.
import { dictionary } from '@zxcvbn-ts/language-common';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, normalizePassword } from './passwords.ts';

/**
 * zxcvbn-ts's list of the ~49,000 passwords found most often in breach corpora (rockyou and
 * others), lower case. Matched after NFKC and lower-casing, so "PassWord1234" is found too.
 */
const COMMON = new Set((dictionary['passwords-common'] as string[]).map((entry) => entry.toLowerCase()));

export interface PasswordProblem {
  code: 'invalid_request' | 'weak_password';
  message: string;
}

const LENGTH_PROBLEM: PasswordProblem = {
  code: 'invalid_request',
  message: `Password must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters.`,
};

/** Why the password may not be chosen by this user, or undefined when it may. */
export function newPasswordProblem(password: string, username: string): PasswordProblem | undefined {
  if ([...normalizePassword(password)].length > MAX_PASSWORD_LENGTH) return LENGTH_PROBLEM;
  return weakPasswordProblem(password, username);
}

/**
 * Why a password in use is easy to guess, or undefined. The length cap is left out: it bounds the
 * cost of hashing a new password, a longer one is not weaker.
 */
export function weakPasswordProblem(password: string, username: string): PasswordProblem | undefined {
  const normalized = normalizePassword(password);
  if ([...normalized].length < MIN_PASSWORD_LENGTH) return LENGTH_PROBLEM;
  const lower = normalized.toLowerCase();
  if (COMMON.has(lower) || COMMON.has(lower.replace(/\s+/g, ''))) {
    return {
      code: 'weak_password',
      message: 'This password is one of the most common ones: choose another.',
    };
  }
  if (lower.includes(username.normalize('NFKC').toLowerCase())) {
    return { code: 'weak_password', message: 'The password may not contain the username.' };
  }
  if (/^(.)\1*$/u.test(lower)) {
    return { code: 'weak_password', message: 'The password may not be one character repeated.' };
  }
  return undefined;
}
