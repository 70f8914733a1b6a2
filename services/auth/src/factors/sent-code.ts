import type { FastifyInstance } from 'fastify';
import { hashOneTimeCode, oneTimeCodeKey } from '../lib/one-time-codes.ts';
import { normalizeCode } from '../lib/totp.ts';
import type { CodeChannel } from '../repositories/one-time-codes.ts';
import type { FactorUser, FactorVerdict } from './factor.ts';

/** A code the user was sent (by email or to the phone app): spent in one statement, so it wins once. */
export async function verifySentCode(
  app: FastifyInstance,
  user: FactorUser,
  channel: CodeChannel,
  typed: string,
): Promise<FactorVerdict> {
  const code = normalizeCode(typed);
  const key = oneTimeCodeKey(app.config.sessionSecret);
  const accepted =
    code !== undefined &&
    (await app.oneTimeCodes.consume(
      user.userId,
      channel,
      hashOneTimeCode(key, user.userId, code),
      app.config.limits.secondFactorFailures,
    ));
  if (accepted) return { ok: true };
  await app.oneTimeCodes.countMiss(user.userId, channel);
  return { ok: false };
}
