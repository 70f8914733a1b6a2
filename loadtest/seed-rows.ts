// The rows of seeded users, derived from (seed, index) alone: a re-run makes the same ids, so it
// can tell what is already there and insert only the rest.
import { createHash } from 'node:crypto';
import { sealTotpSecret } from '../services/auth/src/lib/totp-secrets.ts';
import { usernameKey, validateUsername } from '../services/auth/src/lib/usernames.ts';
import type { SecretBox } from '../services/common/src/secret-box.ts';
import { type Seed, seededUser, seededUsername } from './seeded-users.ts';

/** The seed name when none is given (loadtest/seeded-users.ts derives everything from it). */
export const DEFAULT_SEED = 'default';

const KINDS = { user: '0001', totp: '0002' } as const;
const MAX_INDEX = 0xffff_ffff_ffff;
const prefixes = new Map<string, string>();

/**
 * An RFC 9562 version-8 UUID: the seed's hash, the row's kind, then the index. Ids that grow with
 * the index make each batch append at the right edge of the primary keys instead of dirtying pages
 * all over them (and their full-page images in the WAL), most of the speed of a million inserts.
 */
export function seededId(seed: string, kind: keyof typeof KINDS, index: number): string {
  if (!Number.isInteger(index) || index < 0 || index > MAX_INDEX) throw new RangeError(`bad index ${index}`);
  let prefix = prefixes.get(seed);
  if (prefix === undefined) {
    prefix = createHash('sha256').update(`twofold load test ${seed}`).digest('hex').slice(0, 8);
    prefixes.set(seed, prefix);
  }
  return `${prefix}-${KINDS[kind]}-8000-8000-${index.toString(16).padStart(12, '0')}`;
}

/** Throws unless every username of the seed, up to `count`, is one registration would accept as is. */
export function checkSeedName(seed: string, count: number): void {
  for (const index of [0, count - 1]) {
    const username = seededUsername(seed, index);
    const checked = validateUsername(username);
    if (!checked.ok || checked.value !== username) {
      const why = checked.ok ? 'it changes when normalised' : checked.message;
      throw new RangeError(`seed "${seed}" makes usernames like "${username}": ${why}`);
    }
  }
}

/** Column arrays for one multi-row insert (unnest), users [from, to). */
export interface SeedBatch {
  userIds: string[];
  usernames: string[];
  usernameKeys: string[];
  credentialIds: string[];
  envelopes: string[];
}

export function buildBatch(box: SecretBox, seed: Seed, from: number, to: number): SeedBatch {
  const batch: SeedBatch = { userIds: [], usernames: [], usernameKeys: [], credentialIds: [], envelopes: [] };
  for (let index = from; index < to; index += 1) {
    const user = seededUser(seed, index);
    const userId = seededId(seed.name, 'user', index);
    const credentialId = seededId(seed.name, 'totp', index);
    batch.userIds.push(userId);
    batch.usernames.push(user.username);
    batch.usernameKeys.push(usernameKey(user.username));
    batch.credentialIds.push(credentialId);
    // Sealed as enrolment seals it: the base32 text, bound to this row and its owner.
    batch.envelopes.push(sealTotpSecret(box, credentialId, userId, user.totpSecret));
  }
  return batch;
}
