import type { Database } from '../../../common/src/database.ts';

/** The provider's durable models; the others live in Redis (oidc/redis-adapter.ts). */
export const DURABLE_MODELS = ['Grant', 'RefreshToken'] as const;
export type DurableModel = (typeof DURABLE_MODELS)[number];

export interface StoredArtifact {
  payload: Record<string, unknown>;
  consumedAt: Date | null;
}

/** Grants and refresh tokens, as oidc-provider's adapter interface asks for them. */
export class OidcArtifactsRepository {
  constructor(private readonly db: Database) {}

  async upsert(kind: DurableModel, id: string, payload: Record<string, unknown>, expiresIn: number) {
    const text = (key: string) => (typeof payload[key] === 'string' ? (payload[key] as string) : null);
    // A grant is its own family: revoking by grant id removes it with its refresh tokens.
    const grantId = kind === 'Grant' ? id : text('grantId');
    await this.db.query(
      `INSERT INTO oidc_artifacts (kind, id, payload, grant_id, account_id, client_id, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7))
       ON CONFLICT (kind, id) DO UPDATE SET payload = EXCLUDED.payload, expires_at = EXCLUDED.expires_at`,
      [kind, id, JSON.stringify(payload), grantId, text('accountId'), text('clientId'), expiresIn],
    );
  }

  async find(kind: DurableModel, id: string): Promise<StoredArtifact | undefined> {
    const { rows } = await this.db.query<{ payload: Record<string, unknown>; consumed_at: Date | null }>(
      `SELECT payload, consumed_at FROM oidc_artifacts
       WHERE kind = $1 AND id = $2 AND (expires_at IS NULL OR expires_at > now())`,
      [kind, id],
    );
    const row = rows[0];
    return row && { payload: row.payload, consumedAt: row.consumed_at };
  }

  /** Marks it used; false when it already was (another request won the race) or is gone. */
  async consume(kind: DurableModel, id: string): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `UPDATE oidc_artifacts SET consumed_at = now() WHERE kind = $1 AND id = $2 AND consumed_at IS NULL`,
      [kind, id],
    );
    return rowCount === 1;
  }

  async destroy(kind: DurableModel, id: string): Promise<void> {
    await this.db.query('DELETE FROM oidc_artifacts WHERE kind = $1 AND id = $2', [kind, id]);
  }

  async revokeByGrantId(kind: DurableModel, grantId: string): Promise<void> {
    await this.db.query('DELETE FROM oidc_artifacts WHERE kind = $1 AND grant_id = $2', [kind, grantId]);
  }

  /** Every grant and refresh token of a user; returns the grant ids, to revoke what Redis holds. */
  async deleteForAccount(accountId: string): Promise<string[]> {
    const { rows } = await this.db.query<{ grant_id: string | null }>(
      'DELETE FROM oidc_artifacts WHERE account_id = $1 RETURNING grant_id',
      [accountId],
    );
    return [...new Set(rows.map((row) => row.grant_id).filter((id): id is string => id !== null))];
  }

  /** The grant a user last gave a client (what consent remembers), if it has not expired. */
  async latestGrantId(accountId: string, clientId: string): Promise<string | undefined> {
    const { rows } = await this.db.query<{ id: string }>(
      `SELECT id FROM oidc_artifacts
       WHERE kind = 'Grant' AND account_id = $1 AND client_id = $2 AND expires_at > now()
       ORDER BY (payload->>'iat')::bigint DESC LIMIT 1`,
      [accountId, clientId],
    );
    return rows[0]?.id;
  }

  /**
   * Expired rows a day after they expired, and spent refresh tokens a week after their rotation
   * (kept that long so that a stolen one replayed still revokes its family).
   */
  async deleteExpired(): Promise<number> {
    const { rowCount } = await this.db.query(
      `DELETE FROM oidc_artifacts WHERE expires_at < now() - interval '1 day'
         OR (kind = 'RefreshToken' AND consumed_at < now() - interval '7 days')`,
    );
    return rowCount ?? 0;
  }
}
