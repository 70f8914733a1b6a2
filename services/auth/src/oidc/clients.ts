import type { FastifyBaseLogger } from 'fastify';
import type { ClientMetadata } from 'oidc-provider';
import { type SecretBox, SecretBoxError } from '../../../common/src/secret-box.ts';
import { openClientSecret } from '../lib/oidc-client-secrets.ts';
import type { OidcClientRow } from '../repositories/oidc-clients.ts';

/**
 * A registered client as oidc-provider's metadata: the code flow only, a secret (client_secret_basic)
 * or none (a public client, which the library then holds to PKCE). A secret that does not decrypt
 * makes the client unusable (logged), never a 500.
 */
export function clientMetadataOf(
  row: OidcClientRow,
  box: SecretBox,
  log: FastifyBaseLogger,
): ClientMetadata | undefined {
  let secret: string | undefined;
  if (row.secretEnvelope !== null) {
    try {
      secret = openClientSecret(box, row.clientId, row.secretEnvelope);
    } catch (error) {
      if (!(error instanceof SecretBoxError)) throw error;
      log.error({ clientId: row.clientId, reason: error.message }, 'OIDC client secret failed to decrypt');
      return undefined;
    }
  }
  const native = row.redirectUris.some((uri) => !/^https?:/i.test(uri));
  return {
    client_id: row.clientId,
    client_name: row.name,
    ...(secret === undefined
      ? { token_endpoint_auth_method: 'none' }
      : { client_secret: secret, token_endpoint_auth_method: 'client_secret_basic' }),
    application_type: native ? 'native' : 'web',
    redirect_uris: row.redirectUris,
    post_logout_redirect_uris: row.postLogoutRedirectUris,
    response_types: ['code'],
    grant_types: row.scopes.includes('offline_access')
      ? ['authorization_code', 'refresh_token']
      : ['authorization_code'],
    scope: row.scopes.join(' '),
    id_token_signed_response_alg: row.idTokenAlg,
    twofold_policy: row.policy,
  };
}
