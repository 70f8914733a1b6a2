import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { invalidCode } from '../../errors.ts';
import { hashOneTimeCode, oneTimeCodeKey } from '../../lib/one-time-codes.ts';
import { completeLogin, spendSecondFactorAttempt } from '../../lib/second-factor.ts';
import { currentUser } from '../../lib/sessions.ts';
import { normalizeCode } from '../../lib/totp.ts';
import type { CodeChannel } from '../../repositories/one-time-codes.ts';

/**
 * The second step with a code the user was sent (by email or to the phone app): the attempt is
 * counted before the check, atomically, on a budget of the channel's own (locking one factor must
 * not lock the way out through another); the code is spent in one statement, so it wins once.
 */
export async function loginWithSentCode(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  channel: CodeChannel,
  typed: string,
): Promise<{ state: 'authenticated' }> {
  const { limits } = app.config;
  const user = currentUser(request);
  const step = channel === 'email' ? 'email' : 'push-code';
  const attempt = await spendSecondFactorAttempt(app, request, user, step);
  const code = normalizeCode(typed);
  const key = oneTimeCodeKey(app.config.sessionSecret);
  const accepted =
    code !== undefined &&
    (await app.oneTimeCodes.consume(
      user.userId,
      channel,
      hashOneTimeCode(key, user.userId, code),
      limits.secondFactorFailures,
    ));
  if (!accepted) {
    await app.oneTimeCodes.countMiss(user.userId, channel);
    await app.recordStep(request, { step, result: 'failure', ...user });
    throw invalidCode();
  }
  await attempt.succeeded();
  await completeLogin(app, request, reply, user);
  await app.recordStep(request, { step, result: 'success', ...user });
  return { state: 'authenticated' };
}
