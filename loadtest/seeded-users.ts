// The users a load test signs in as. Seeded users (loadtest/seed.ts) are made in bulk straight into
// PostgreSQL; their credentials are derived from their index and a seed name, so the generator can
// compute any user's password and TOTP code without a list of a million secrets.
import { createHmac } from 'node:crypto';

export interface LoadUser {
  username: string;
  password: string;
  /** The authenticator secret, base32 (RFC 4648, no padding), as the enrolment shows it. */
  totpSecret: string;
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

/** Every seeded user shares one password, so the seed hashes it once (argon2id costs ~20 ms). */
export const seededPassword = (seed: string): string => `load test password ${seed}`;

export const seededUsername = (seed: string, index: number): string => `lt-${seed}-${index}`;

/** User `index` of seed `seed`: its name, the shared password, and its own 20-byte TOTP secret. */
export function seededUser(seed: string, index: number): LoadUser {
  const secret = createHmac('sha256', `twofold load test ${seed}`)
    .update(String(index))
    .digest()
    .subarray(0, 20);
  return {
    username: seededUsername(seed, index),
    password: seededPassword(seed),
    totpSecret: base32(secret),
  };
}
