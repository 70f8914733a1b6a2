import type { Database } from '../../../common/src/database.ts';

export interface TotpCredentialRow {
  id: string;
  userId: string;
  secretEnvelope: string;
  confirmed: boolean;
  lastUsedStep: number | null;
}

const COLUMNS = `id, user_id AS "userId", secret_envelope AS "secretEnvelope",
  confirmed_at IS NOT NULL AS confirmed, last_used_step::float8 AS "lastUsedStep"`;

export class TotpRepository {
  constructor(private readonly db: Database) {}

  /** Starts an enrolment: replaces any earlier unconfirmed one, leaves a confirmed one in place. */
  async createPending(credential: { id: string; userId: string; secretEnvelope: string }): Promise<void> {
    await this.db.transaction(async (client) => {
      await client.query(
        'DELETE FROM totp_credentials WHERE user_id = $1 AND confirmed_at IS NULL AND id <> $2',
        [credential.userId, credential.id],
      );
      // ON CONFLICT: a retry after a commit whose answer was lost must not fail.
      await client.query(
        'INSERT INTO totp_credentials (id, user_id, secret_envelope) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING',
        [credential.id, credential.userId, credential.secretEnvelope],
      );
    });
  }

  async findPending(userId: string): Promise<TotpCredentialRow | undefined> {
    const { rows } = await this.db.query<TotpCredentialRow>(
      `SELECT ${COLUMNS} FROM totp_credentials WHERE user_id = $1 AND confirmed_at IS NULL
       ORDER BY created_at DESC LIMIT 1`,
      [userId],
    );
    return rows[0];
  }

  /** Every credential whose codes sign the user in: the authenticator app and each paired phone's. */
  async listConfirmed(userId: string): Promise<TotpCredentialRow[]> {
    const { rows } = await this.db.query<TotpCredentialRow>(
      `SELECT ${COLUMNS} FROM totp_credentials WHERE user_id = $1 AND confirmed_at IS NOT NULL
       ORDER BY device_id NULLS FIRST`,
      [userId],
    );
    return rows;
  }

  /** Whether the user has a confirmed authenticator app (the factor that phones are added to). */
  async hasConfirmed(userId: string): Promise<boolean> {
    const { rows } = await this.db.query(
      'SELECT 1 FROM totp_credentials WHERE user_id = $1 AND confirmed_at IS NOT NULL AND device_id IS NULL',
      [userId],
    );
    return rows.length > 0;
  }

  /**
   * The replay guard: a step is accepted only if it is newer than the last one used, in one
   * atomic statement, so the same code can win at most once even on two replicas at once.
   */
  async claimStep(credentialId: string, step: number): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `UPDATE totp_credentials SET last_used_step = $2
       WHERE id = $1 AND (last_used_step IS NULL OR last_used_step < $2)`,
      [credentialId, step],
    );
    return rowCount === 1;
  }

  /**
   * Confirms an enrolment with the step of its first code and swaps out any older authenticator,
   * in one transaction; recovery codes are replaced in the same transaction by the caller's hashes.
   */
  async confirm(
    credentialId: string,
    userId: string,
    step: number,
    recoveryCodeHashes: Buffer[],
  ): Promise<boolean> {
    return this.db.transaction(async (client) => {
      const pending = await client.query(
        `SELECT 1 FROM totp_credentials WHERE id = $1 AND user_id = $2 AND confirmed_at IS NULL FOR UPDATE`,
        [credentialId, userId],
      );
      if (pending.rowCount !== 1) return false;
      await client.query('DELETE FROM totp_credentials WHERE user_id = $1 AND confirmed_at IS NOT NULL', [
        userId,
      ]);
      await client.query(
        'UPDATE totp_credentials SET confirmed_at = now(), last_used_step = $2 WHERE id = $1',
        [credentialId, step],
      );
      await client.query('DELETE FROM recovery_codes WHERE user_id = $1', [userId]);
      await client.query('INSERT INTO recovery_codes (user_id, code_hash) SELECT $1, unnest($2::bytea[])', [
        userId,
        recoveryCodeHashes,
      ]);
      return true;
    });
  }

  /** For key rotation: a batch of credentials whose secret is not sealed under `keyId`. */
  async notSealedUnder(
    keyId: string,
    limit: number,
  ): Promise<Array<Pick<TotpCredentialRow, 'id' | 'userId' | 'secretEnvelope'>>> {
    const { rows } = await this.db.query<Pick<TotpCredentialRow, 'id' | 'userId' | 'secretEnvelope'>>(
      `SELECT id, user_id AS "userId", secret_envelope AS "secretEnvelope" FROM totp_credentials
       WHERE split_part(secret_envelope, '.', 2) <> $1 ORDER BY id LIMIT $2`,
      [keyId, limit],
    );
    return rows;
  }

  /** Compare-and-set, so that a re-enrolment racing the rotation is never overwritten. */
  async replaceEnvelope(id: string, expected: string, replacement: string): Promise<boolean> {
    const { rowCount } = await this.db.query(
      'UPDATE totp_credentials SET secret_envelope = $3 WHERE id = $1 AND secret_envelope = $2',
      [id, expected, replacement],
    );
    return rowCount === 1;
  }

  /**
   * Removes the authenticator, the recovery codes that go with it, the security keys, and the paired
   * phones (their credentials go with them). Under a lock on the user's row, as pairing takes it, so a phone
   * cannot be added to a factor that is being removed. Returns the removed devices' ids.
   */
  async removeForUser(userId: string): Promise<{ removed: number; deviceIds: string[] }> {
    return this.db.transaction(async (client) => {
      await client.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [userId]);
      const devices = await client.query<{ id: string }>(
        'DELETE FROM devices WHERE user_id = $1 RETURNING id',
        [userId],
      );
      const { rowCount } = await client.query(
        'DELETE FROM totp_credentials WHERE user_id = $1 AND device_id IS NULL',
        [userId],
      );
      await client.query('DELETE FROM recovery_codes WHERE user_id = $1', [userId]);
      await client.query('DELETE FROM webauthn_credentials WHERE user_id = $1', [userId]);
      return { removed: rowCount ?? 0, deviceIds: devices.rows.map((r) => r.id) };
    });
  }
}
