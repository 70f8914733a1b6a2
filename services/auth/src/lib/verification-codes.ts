// The code step of an application's verification: the code the phone was sent for it, or a code of
// the user's authenticator (or a phone's), each accepted once.
import { timingSafeEqual } from 'node:crypto';
import { ApiError, tooManyAttempts } from '../errors.ts';
import { LONG_TERM_SCOPE } from '../factors/login-attempt.ts';
import type { ApplicationRow } from '../repositories/applications.ts';
import { hashOneTimeCode } from './one-time-codes.ts';
import type { PushChallenges, Verification } from './push-challenges.ts';
import type { Regulator } from './regulator.ts';
import { normalizeCode } from './totp.ts';
import type { TotpCheck } from './totp-check.ts';
import { applicationSubject, type Recorder, verificationNotFound } from './verifications.ts';

/** Wrong codes an application may send for one user per lockout window (regulator scope). */
export const CODE_SCOPE = 'rp-code';
/**
 * The account's own budget of authenticator codes, which a login from a browser not trusted for the
 * account spends too: without it, applications would add guesses at the user's TOTP to the login's.
 */
export const ACCOUNT_CODE_SCOPE = 'totp';

const verificationExpired = () => new ApiError(410, 'verification_expired', 'This verification has expired.');
const verificationClosed = () =>
  new ApiError(409, 'verification_closed', 'This verification was already decided.');
const notACodeVerification = () =>
  new ApiError(409, 'method_mismatch', 'This verification is answered on the phone, not with a code.');

export interface CodeCheckDeps {
  challenges: PushChallenges;
  regulator: Regulator;
  codeKey: Buffer;
  /** The user's authenticator and phone credentials; claims the code's time step when it matches. */
  checkTotp(userId: string, code: string): Promise<TotpCheck>;
}

/**
 * Decides a pending code verification with one code: right, it is approved; wrong (or a code
 * already used), it is denied. Each attempt is counted before the check, on the application's
 * budget for the user and on the user's own second-factor budgets.
 */
export async function checkVerificationCode(
  deps: CodeCheckDeps,
  application: ApplicationRow,
  id: string,
  typed: string,
  record: Recorder,
): Promise<'approved' | 'denied'> {
  const found = await deps.challenges.look(id, application.id);
  if (!found) throw verificationNotFound();
  const { userId } = found;
  const detail = { application: application.name, method: 'code' };
  if (found.expiredNow) await record({ step: 'rp-expired', result: 'failure', userId, detail });
  if (found.state === 'expired') throw verificationExpired();
  if (found.method !== 'code') throw notACodeVerification();
  if (found.state !== 'pending') throw verificationClosed();
  const attempt = await spendAttempt(deps, userId, application, record);
  const code = normalizeCode(typed);
  const pushed = code !== undefined && matchesPushedCode(deps.codeKey, found, code);
  const totp = code === undefined || pushed ? undefined : await deps.checkTotp(userId, code);
  const decided = await deps.challenges.decide(
    id,
    application.id,
    pushed || totp === 'accepted' ? 'approved' : 'denied',
  );
  if (decided === 'gone') throw verificationNotFound();
  if (decided === 'expired') throw verificationExpired();
  if (decided === 'closed') throw verificationClosed();
  if (decided === 'approved') await attempt.succeeded();
  await record({
    step: 'rp-code',
    result: decided === 'approved' ? 'success' : 'failure',
    userId,
    detail: totp === 'replayed' ? { ...detail, reason: 'replayed' } : detail,
  });
  return decided;
}

function matchesPushedCode(key: Buffer, verification: Verification, code: string): boolean {
  const expected = verification.codeHash;
  const given = hashOneTimeCode(key, verification.userId, code);
  return expected !== undefined && expected.length === given.length && timingSafeEqual(expected, given);
}

async function spendAttempt(
  deps: CodeCheckDeps,
  userId: string,
  application: ApplicationRow,
  record: Recorder,
): Promise<{ succeeded(): Promise<void> }> {
  const { regulator } = deps;
  const subject = applicationSubject(userId, application.id);
  const perApplication = await regulator.consume(CODE_SCOPE, subject);
  const account = await regulator.consume(ACCOUNT_CODE_SCOPE, userId);
  // The 30-day cap per application and user: shared with logins, it would let anyone holding the
  // user's password at an application lock the user's own second factor for a month.
  const longTerm = await regulator.consume(LONG_TERM_SCOPE, subject);
  const refused = [perApplication, account, longTerm].find((verdict) => !verdict.allowed);
  if (refused) {
    const detail = {
      application: application.name,
      method: 'code',
      ...(longTerm.allowed ? {} : { longTerm: true }),
    };
    await record({ step: 'rp-code', result: 'locked', userId, detail });
    throw tooManyAttempts(refused.retryAfterSeconds);
  }
  return {
    // A success starts the application's count again and gives back only its own attempt of the
    // account's and of the 30-day cap, so the user confirming here does not refill a guesser's budget.
    succeeded: async () => {
      await regulator.reset(CODE_SCOPE, subject);
      await regulator.refund(ACCOUNT_CODE_SCOPE, userId);
      await regulator.refund(LONG_TERM_SCOPE, subject);
    },
  };
}
