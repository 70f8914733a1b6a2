import type { FastifyInstance, FastifyRequest } from 'fastify';
import { matchTotpStep, normalizeCode } from './totp.ts';
import { openTotpSecret } from './totp-secrets.ts';

export type TotpCheck = 'accepted' | 'rejected' | 'replayed';

/**
 * Checks a code against the user's confirmed authenticator and claims its time step, so the same
 * code never works twice (login, or a step-up such as a password change).
 */
export async function checkTotpCode(
  app: FastifyInstance,
  request: FastifyRequest,
  userId: string,
  rawCode: string,
): Promise<TotpCheck> {
  const code = normalizeCode(rawCode);
  const credential = code ? await app.totp.findConfirmed(userId) : undefined;
  if (!code || !credential) return 'rejected';
  const secret = openTotpSecret(app.secretBox, credential, request.log);
  const step = secret ? await matchTotpStep(secret, code) : undefined;
  if (step === undefined) return 'rejected';
  return (await app.totp.claimStep(credential.id, step)) ? 'accepted' : 'replayed';
}
