// The keys that sign ID tokens: made at the first start, sealed under the key ring, published as
// JWKS with an overlap at rotation (`twofold keys rotate-signing`, deploy/src/signing-key-rotation.ts).
import { generateKeyPair, type JsonWebKey, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import type { FastifyBaseLogger } from 'fastify';
import { type SecretBox, SecretBoxError } from '../../../common/src/secret-box.ts';
import type {
  OidcSigningKeysRepository,
  SigningAlg,
  SigningKeyRow,
} from '../repositories/oidc-signing-keys.ts';

const generate = promisify(generateKeyPair);

export interface SigningJwk extends JsonWebKey {
  kid: string;
  alg: SigningAlg;
  use: 'sig';
  key_ops?: string[];
}

export interface NewSigningKey {
  kid: string;
  alg: SigningAlg;
  privateEnvelope: string;
}

/** Binds a sealed private key to its row. */
export const signingKeyAssociatedData = (kid: string) => `oidc_signing_keys:${kid}`;

/** A fresh private key as a JWK, sealed for its row. */
export async function newSigningKey(box: SecretBox, alg: SigningAlg): Promise<NewSigningKey> {
  const { privateKey } =
    alg === 'ES256'
      ? await generate('ec', { namedCurve: 'P-256' })
      : await generate('rsa', { modulusLength: 2048 });
  const kid = randomBytes(12).toString('base64url');
  const jwk = privateKey.export({ format: 'jwk' });
  return { kid, alg, privateEnvelope: box.seal(JSON.stringify(jwk), signingKeyAssociatedData(kid)) };
}

/** One current key per algorithm, made by whichever replica (or CLI) gets the lock first. */
export async function ensureSigningKeys(keys: OidcSigningKeysRepository, box: SecretBox): Promise<void> {
  await keys.withMissingCurrent(async (missing) =>
    Promise.all(
      missing.map(async (alg) => ({ ...(await newSigningKey(box, alg)), state: 'current' as const })),
    ),
  );
}

export interface PublishedKeys {
  /** For oidc-provider's `jwks`: the current keys first; the others may only verify. */
  jwks: SigningJwk[];
  /** Changes whenever the set or a key's role does: the provider is rebuilt when it changes. */
  fingerprint: string;
}

/**
 * The keys to publish, decrypted. A key that does not decrypt (a ring without its key, a tampered
 * row) is left out and logged: signing goes on with the others rather than stopping the provider.
 */
export async function publishedKeys(
  keys: OidcSigningKeysRepository,
  box: SecretBox,
  log: FastifyBaseLogger,
): Promise<PublishedKeys> {
  const rows = await keys.published();
  const order = (row: SigningKeyRow) => (row.state === 'current' ? 0 : 1);
  const jwks: SigningJwk[] = [];
  for (const row of [...rows].sort((a, b) => order(a) - order(b))) {
    let jwk: JsonWebKey;
    try {
      jwk = JSON.parse(box.open(row.privateEnvelope, signingKeyAssociatedData(row.kid)).toString('utf8'));
    } catch (error) {
      if (!(error instanceof SecretBoxError)) throw error;
      log.error({ kid: row.kid, reason: error.message }, 'OIDC signing key failed to decrypt');
      continue;
    }
    jwks.push({
      ...jwk,
      kid: row.kid,
      alg: row.alg,
      use: 'sig',
      ...(row.state === 'current' ? {} : { key_ops: ['verify'] }),
    });
  }
  const fingerprint = rows.map((row) => `${row.kid}:${row.state}`).join(',');
  return { jwks, fingerprint };
}

/** The kids a replica publishes and signs with, for /readyz (rotation waits for every replica). */
export function keyRoles(jwks: SigningJwk[]): { signing: string[]; published: string[] } {
  return {
    signing: jwks.filter((jwk) => !jwk.key_ops).map((jwk) => jwk.kid),
    published: jwks.map((jwk) => jwk.kid),
  };
}
