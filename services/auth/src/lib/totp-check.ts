import type { FastifyInstance, FastifyRequest } from 'fastify';
import { matchTotpStep, normalizeCode } from './totp.ts';
import { openTotpSecret } from './totp-secrets.ts';

export type TotpCheck = 'accepted' | 'rejected' | 'replayed';

/**
 * Checks a code against the user's authenticator app and each paired phone's secret, and claims the
 * time step of the credential it matches, so the same code never works twice (login, or a step-up
 * such as a password change).
 */
export async function checkTotpCode(
  app: FastifyInstance,
  request: FastifyRequest,
  userId: string,
  rawCode: string,
): Promise<TotpCheck> {
  const code = normalizeCode(rawCode);
  if (!code) return 'rejected';
  for (const credential of await app.totp.listConfirmed(userId)) {
    const secret = openTotpSecret(app.secretBox, credential, request.log);
    const step = secret ? await matchTotpStep(secret, code) : undefined;
    if (step !== undefined) return (await app.totp.claimStep(credential.id, step)) ? 'accepted' : 'replayed';
  }
  return 'rejected';
}
