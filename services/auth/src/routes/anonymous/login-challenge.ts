import type { FastifyInstance, FastifyRequest } from 'fastify';
import { challengeRequired } from '../../errors.ts';

/**
 * Past the account's password budget, an unrecognised browser goes on only with a solved proof of
 * work: the rightful user gets in after about a second, a botnet pays that for every guess. Anything
 * else (no solution, a wrong, expired, replayed or another account's one) gets a fresh challenge and
 * the same answer, whether the account exists or not.
 */
export async function requireSolvedChallenge(
  app: FastifyInstance,
  request: FastifyRequest,
  accountKey: string,
  pow: string | undefined,
  retryAfterSeconds: number,
): Promise<void> {
  const redemption = await app.loginChallenges.redeem(pow, accountKey);
  if (redemption === 'solved') {
    app.metrics.loginChallenges.inc({ outcome: 'solved' });
    return;
  }
  if (redemption !== 'missing') app.metrics.loginChallenges.inc({ outcome: 'refused' });
  // Asking for a challenge is not a guess: it gives back the address's unit (a wrong solution keeps it).
  else await app.regulator.refund('password-ip', request.ip);
  await app.recordStep(request, {
    step: 'password',
    result: 'locked',
    username: accountKey,
    detail: { byAccount: true, byIp: false, trustedDevice: false, challenge: redemption },
  });
  const challenge = await app.loginChallenges.issue(accountKey);
  app.metrics.loginChallenges.inc({ outcome: 'issued' });
  throw challengeRequired(challenge, retryAfterSeconds);
}
