// Inserts seeded users in batches, each user with a confirmed authenticator, one statement a batch.
import type { Database } from '../services/common/src/database.ts';
import type { SecretBox } from '../services/common/src/secret-box.ts';
import { buildBatch, checkSeedName, seededId } from './seed-rows.ts';
import type { Seed } from './seeded-users.ts';

// One statement is one transaction: a user never exists without its credential, so a batch found
// complete (all its ids present) is skipped whole by a re-run. ON CONFLICT without a target also
// skips a username someone registered by hand; that user then gets no credential of ours.
// last_used_step stays NULL: any current code is accepted at the first login.
const INSERT = `WITH input AS (
  SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::text[])
    AS t(user_id, username, username_key, credential_id, envelope)
), inserted AS (
  INSERT INTO users (id, username, username_key, password_hash)
  SELECT user_id, username, username_key, $6 FROM input
  ON CONFLICT DO NOTHING RETURNING id
)
INSERT INTO totp_credentials (id, user_id, secret_envelope, confirmed_at)
SELECT input.credential_id, input.user_id, input.envelope, now()
FROM input JOIN inserted ON inserted.id = input.user_id
ON CONFLICT DO NOTHING`;

const PRESENT = 'SELECT count(*)::int AS n FROM users WHERE id BETWEEN $1 AND $2';

export interface SeedProgress {
  /** Users handled so far (inserted or found), of `count`. */
  done: number;
  count: number;
  inserted: number;
  skipped: number;
  seconds: number;
}

export interface SeedOptions {
  db: Database;
  box: SecretBox;
  /** The shared password's hash (argon2id, made once). */
  passwordHash: string;
  seed: Seed;
  count: number;
  batchSize?: number;
  /** Batches in flight at once: one is sealed here while the database writes another. */
  concurrency?: number;
  onProgress?: (progress: SeedProgress) => void;
}

export async function seedUsers(options: SeedOptions): Promise<SeedProgress> {
  const { db, box, passwordHash, seed, count, batchSize = 10_000, concurrency = 2 } = options;
  checkSeedName(seed.name, count);
  const started = performance.now();
  const progress: SeedProgress = { done: 0, count, inserted: 0, skipped: 0, seconds: 0 };
  let next = 0;

  async function worker(): Promise<void> {
    while (next < count) {
      const from = next;
      const to = Math.min(count, from + batchSize);
      next = to;
      const { rows } = await db.query<{ n: number }>(PRESENT, [
        seededId(seed.name, 'user', from),
        seededId(seed.name, 'user', to - 1),
      ]);
      const present = rows[0]?.n ?? 0;
      let inserted = 0;
      if (present < to - from) {
        const b = buildBatch(box, seed, from, to);
        const result = await db.query(INSERT, [
          b.userIds,
          b.usernames,
          b.usernameKeys,
          b.credentialIds,
          b.envelopes,
          passwordHash,
        ]);
        inserted = result.rowCount ?? 0;
      }
      progress.done += to - from;
      progress.inserted += inserted;
      progress.skipped += to - from - inserted;
      progress.seconds = (performance.now() - started) / 1000;
      options.onProgress?.({ ...progress });
    }
  }

  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, () => worker()));
  progress.seconds = (performance.now() - started) / 1000;
  return progress;
}

export interface TableSize {
  table: string;
  rows: number;
  bytes: number;
}

/** Rows and total size (heap, indexes, TOAST) of the tables a seeded user lives in. */
export async function tableSizes(db: Database): Promise<TableSize[]> {
  const sizes: TableSize[] = [];
  for (const table of ['users', 'totp_credentials']) {
    const { rows } = await db.query<{ rows: number; bytes: number }>(
      `SELECT (SELECT count(*) FROM ${table})::float8 AS rows,
         pg_total_relation_size('${table}'::regclass)::float8 AS bytes`,
    );
    sizes.push({ table, rows: rows[0]?.rows ?? 0, bytes: rows[0]?.bytes ?? 0 });
  }
  return sizes;
}
