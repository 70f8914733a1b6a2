import type { Database } from '../../../common/src/database.ts';

export const SIGNING_ALGS = ['RS256', 'ES256'] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];
export type SigningKeyState = 'next' | 'current' | 'retired';

export interface SigningKeyRow {
  kid: string;
  alg: SigningAlg;
  privateEnvelope: string;
  state: SigningKeyState;
  createdAt: Date;
  publishUntil: Date | null;
}

const COLUMNS = `kid, alg, private_envelope AS "privateEnvelope", state, created_at AS "createdAt",
  publish_until AS "publishUntil"`;

/** Keys that sign ID tokens; see migration 013 for their life (next, current, retired). */
export class OidcSigningKeysRepository {
  constructor(private readonly db: Database) {}

  /** Every key still published: next, current, and retired ones inside their overlap. */
  async published(): Promise<SigningKeyRow[]> {
    const { rows } = await this.db.query<SigningKeyRow>(
      `SELECT ${COLUMNS} FROM oidc_signing_keys
       WHERE state <> 'retired' OR publish_until > now() ORDER BY created_at DESC, kid`,
    );
    return rows;
  }

  async all(): Promise<SigningKeyRow[]> {
    const { rows } = await this.db.query<SigningKeyRow>(
      `SELECT ${COLUMNS} FROM oidc_signing_keys ORDER BY created_at DESC, kid`,
    );
    return rows;
  }

  /**
   * Runs `work` with the algorithms that have no current key, under a lock every replica and the
   * CLI take, so that replicas starting together make one key per algorithm, not one each.
   */
  async withMissingCurrent(
    work: (missing: SigningAlg[]) => Promise<Array<Omit<SigningKeyRow, 'createdAt' | 'publishUntil'>>>,
  ): Promise<void> {
    await this.db.transaction(async (client) => {
      await client.query(`SELECT pg_advisory_xact_lock(hashtext('twofold:oidc-signing-keys'))`);
      const { rows } = await client.query<{ alg: SigningAlg }>(
        `SELECT alg FROM oidc_signing_keys WHERE state = 'current'`,
      );
      const missing = SIGNING_ALGS.filter((alg) => !rows.some((row) => row.alg === alg));
      if (missing.length === 0) return;
      for (const key of await work(missing)) {
        await client.query(
          `INSERT INTO oidc_signing_keys (kid, alg, private_envelope, state, activated_at)
           VALUES ($1, $2, $3, $4, CASE WHEN $4 = 'current' THEN now() END) ON CONFLICT (kid) DO NOTHING`,
          [key.kid, key.alg, key.privateEnvelope, key.state],
        );
      }
    });
  }

  /**
   * Adds keys as `next`: published by every replica that reloads, used by none yet. A rotation that
   * stopped half-way left `next` keys of its own: they go.
   */
  async addNext(keys: Array<Pick<SigningKeyRow, 'kid' | 'alg' | 'privateEnvelope'>>): Promise<void> {
    await this.db.transaction(async (client) => {
      await client.query(`SELECT pg_advisory_xact_lock(hashtext('twofold:oidc-signing-keys'))`);
      await client.query(`DELETE FROM oidc_signing_keys WHERE state = 'next'`);
      for (const key of keys) {
        await client.query(
          `INSERT INTO oidc_signing_keys (kid, alg, private_envelope, state) VALUES ($1, $2, $3, 'next')
           ON CONFLICT (kid) DO NOTHING`,
          [key.kid, key.alg, key.privateEnvelope],
        );
      }
    });
  }

  /**
   * The `next` keys sign from now on; the keys they replace stay published for `overlapSeconds`.
   * Returns the kids retired.
   */
  async promoteNext(kids: string[], overlapSeconds: number): Promise<string[]> {
    return this.db.transaction(async (client) => {
      await client.query(`SELECT pg_advisory_xact_lock(hashtext('twofold:oidc-signing-keys'))`);
      const { rows } = await client.query<{ kid: string }>(
        `UPDATE oidc_signing_keys SET state = 'retired', publish_until = now() + make_interval(secs => $2)
         WHERE state = 'current' AND alg IN (SELECT alg FROM oidc_signing_keys WHERE kid = ANY($1))
         RETURNING kid`,
        [kids, overlapSeconds],
      );
      await client.query(
        `UPDATE oidc_signing_keys SET state = 'current', activated_at = now() WHERE kid = ANY($1) AND state = 'next'`,
        [kids],
      );
      return rows.map((row) => row.kid);
    });
  }

  /** Rows not sealed under the ring's current key (for `twofold keys rotate`). */
  async notSealedUnder(
    keyId: string,
    limit: number,
  ): Promise<Array<{ kid: string; privateEnvelope: string }>> {
    const { rows } = await this.db.query<{ kid: string; privateEnvelope: string }>(
      `SELECT kid, private_envelope AS "privateEnvelope" FROM oidc_signing_keys
       WHERE split_part(private_envelope, '.', 2) <> $1 ORDER BY kid LIMIT $2`,
      [keyId, limit],
    );
    return rows;
  }

  async replaceEnvelope(kid: string, previous: string, next: string): Promise<boolean> {
    const { rowCount } = await this.db.query(
      'UPDATE oidc_signing_keys SET private_envelope = $3 WHERE kid = $1 AND private_envelope = $2',
      [kid, previous, next],
    );
    return rowCount === 1;
  }
}
