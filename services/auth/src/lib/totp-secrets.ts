import type { FastifyBaseLogger } from 'fastify';
import { type SecretBox, SecretBoxError } from '../../../common/src/secret-box.ts';

/** The associated data that binds a TOTP ciphertext to its own row and owner. */
export function totpAssociatedData(credentialId: string, userId: string): string {
  return `totp_credentials:${credentialId}:${userId}`;
}

export function sealTotpSecret(box: SecretBox, credentialId: string, userId: string, secret: string): string {
  return box.seal(secret, totpAssociatedData(credentialId, userId));
}

/**
 * Opens a stored secret. A ciphertext that does not authenticate (moved from another row,
 * tampered, or under a retired key) is logged loudly and treated as "no valid code", never a 500.
 */
export function openTotpSecret(
  box: SecretBox,
  credential: { id: string; userId: string; secretEnvelope: string },
  log: FastifyBaseLogger,
): string | undefined {
  try {
    return box
      .open(credential.secretEnvelope, totpAssociatedData(credential.id, credential.userId))
      .toString('utf8');
  } catch (error) {
    if (!(error instanceof SecretBoxError)) throw error;
    log.error(
      { credentialId: credential.id, userId: credential.userId, reason: error.message },
      'TOTP secret failed to decrypt',
    );
    return undefined;
  }
}
