// OpenID Connect client secrets at rest: sealed under the key ring, because the token endpoint
// compares the secret as the client sends it (client_secret_basic/post), so a hash would not do.
import type { SecretBox } from '../../../common/src/secret-box.ts';

/** Binds a sealed secret to its client: an envelope copied into another client's row does not open. */
export function clientSecretAssociatedData(clientId: string): string {
  return `oidc_clients:${clientId}`;
}

export function sealClientSecret(box: SecretBox, clientId: string, secret: string): string {
  return box.seal(secret, clientSecretAssociatedData(clientId));
}

/** Throws SecretBoxError when the envelope does not authenticate (another row's, tampered, retired key). */
export function openClientSecret(box: SecretBox, clientId: string, envelope: string): string {
  return box.open(envelope, clientSecretAssociatedData(clientId)).toString('utf8');
}
