// The users a load test signs in as. Seeded users (loadtest/seed.ts) are made in bulk straight into
// PostgreSQL; their credentials are derived from a random key kept in the cluster's data directory
// (root's, mode 600), the seed's name and their index, so the generator can compute any user's
// password and TOTP code without a list of a million secrets, and nobody without that key can.
import { createHmac, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface LoadUser {
  username: string;
  password: string;
  /** The authenticator secret, base32 (RFC 4648, no padding), as the enrolment shows it. */
  totpSecret: string;
}

/** A named set of seeded users and the key their credentials are derived from. */
export interface Seed {
  name: string;
  key: Buffer;
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

const derive = (seed: Seed, label: string) =>
  createHmac('sha256', seed.key).update(`${seed.name}\n${label}`).digest();

export const seedKeyFile = (dataDir: string, name: string): string =>
  path.join(dataDir, 'loadtest', `seed-${name}.key`);

/**
 * The seed's key, from the cluster's data directory; `create` makes one the first time (the
 * seeder), otherwise a missing key is an error that says how to seed.
 */
export async function loadSeed(dataDir: string, name: string, create = false): Promise<Seed> {
  const file = seedKeyFile(dataDir, name);
  try {
    return { name, key: Buffer.from((await readFile(file, 'utf8')).trim(), 'base64url') };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    if (!create) throw new Error(`no key for seed "${name}" at ${file}: run npm run loadtest:seed first`);
  }
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  // flag wx: two seeders started at once must not end up with two keys.
  await writeFile(file, `${key.toString('base64url')}\n`, { mode: 0o600, flag: 'wx' }).catch(
    async (error) => {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    },
  );
  return loadSeed(dataDir, name);
}

/** Every seeded user of a seed shares one password, so the seed hashes it once (argon2id costs ~20 ms). */
export const seededPassword = (seed: Seed): string => `lt ${derive(seed, 'password').toString('base64url')}`;

export const seededUsername = (name: string, index: number): string => `lt-${name}-${index}`;

/** User `index` of the seed: its name, the shared password, and its own 20-byte TOTP secret. */
export function seededUser(seed: Seed, index: number): LoadUser {
  return {
    username: seededUsername(seed.name, index),
    password: seededPassword(seed),
    totpSecret: base32(derive(seed, `totp ${index}`).subarray(0, 20)),
  };
}
