// Applications' API keys: `tfk_<keyId>_<secret>`. The key id finds the application; only the
// SHA-256 of the secret is stored, compared in constant time.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApplicationRow } from '../repositories/applications.ts';

const KEY = /^tfk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export interface NewApiKey {
  /** The whole key, shown once to the operator and never stored. */
  key: string;
  keyId: string;
  secretHash: Buffer;
}

export function generateApiKey(): NewApiKey {
  const keyId = randomBytes(6).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { key: `tfk_${keyId}_${secret}`, keyId, secretHash: hashSecret(secret) };
}

export function parseApiKey(presented: string): { keyId: string; secret: string } | undefined {
  const match = KEY.exec(presented);
  return match ? { keyId: match[1] as string, secret: match[2] as string } : undefined;
}

/**
 * A plain SHA-256, not a password hash: the secret is 256 random bits, so there is nothing for
 * a slow hash to protect against guessing, and a key is checked on every API call.
 */
export function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

export function secretMatches(secret: string, storedHash: Buffer): boolean {
  const given = hashSecret(secret);
  return given.length === storedHash.length && timingSafeEqual(given, storedHash);
}

export interface ApiKeyLookup {
  findByApiKeyId(keyId: string): Promise<(ApplicationRow & { apiKeyHash: Buffer }) | undefined>;
}

/** The application a presented key (`Authorization: Bearer tfk_…`) belongs to, or undefined. */
export async function verifyApiKey(
  repo: ApiKeyLookup,
  presented: string,
): Promise<ApplicationRow | undefined> {
  const parsed = parseApiKey(presented);
  if (!parsed) return undefined;
  const found = await repo.findByApiKeyId(parsed.keyId);
  if (!found || !secretMatches(parsed.secret, found.apiKeyHash)) return undefined;
  const { apiKeyHash: _, ...application } = found;
  return application;
}
