import type { Database } from '../../../common/src/database.ts';

export class RecoveryCodesRepository {
  constructor(private readonly db: Database) {}

  /** Spends a code atomically: of two concurrent uses of the same code, exactly one wins. */
  async consume(userId: string, codeHash: Buffer): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `UPDATE recovery_codes SET used_at = now()
       WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL`,
      [userId, codeHash],
    );
    return rowCount === 1;
  }

  async countUnused(userId: string): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL',
      [userId],
    );
    return rows[0]?.n ?? 0;
  }

  /** A fresh set: the old codes stop working in the same transaction. */
  async replaceAll(userId: string, codeHashes: Buffer[]): Promise<void> {
    await this.db.transaction(async (client) => {
      await client.query('DELETE FROM recovery_codes WHERE user_id = $1', [userId]);
      await client.query('INSERT INTO recovery_codes (user_id, code_hash) SELECT $1, unnest($2::bytea[])', [
        userId,
        codeHashes,
      ]);
    });
  }
}
