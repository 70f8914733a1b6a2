import type { Database } from '../../../common/src/database.ts';

/** Used codes are kept this long (an audit trail of sign-ins), then go with the user's next code. */
const KEEP_USED = '30 days';

export class EmailCodesRepository {
  constructor(private readonly db: Database) {}

  /**
   * Stores a new code as the user's only live one: earlier unused codes are deleted in the same
   * transaction, under a lock on the user's row so two concurrent sends cannot leave two live codes.
   * Expiry is set by the database's clock, the same clock consume() compares against.
   */
  async create(code: { id: string; userId: string; codeHash: Buffer; ttlSeconds: number }): Promise<void> {
    await this.db.transaction(async (client) => {
      await client.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [code.userId]);
      await client.query(
        `DELETE FROM email_codes
         WHERE user_id = $1 AND id <> $2 AND (used_at IS NULL OR used_at < now() - interval '${KEEP_USED}')`,
        [code.userId, code.id],
      );
      // ON CONFLICT: a retry after a commit whose answer a failover swallowed must not fail.
      await client.query(
        `INSERT INTO email_codes (id, user_id, code_hash, expires_at)
         VALUES ($1, $2, $3, now() + make_interval(secs => $4)) ON CONFLICT (id) DO NOTHING`,
        [code.id, code.userId, code.codeHash, code.ttlSeconds],
      );
    });
  }

  /**
   * Spends a live code in one statement: of two concurrent uses (on two replicas), exactly one
   * wins; an expired code, a used one, or one guessed at too often never does.
   */
  async consume(userId: string, codeHash: Buffer, maxAttempts: number): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `UPDATE email_codes SET used_at = now()
       WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL AND expires_at > now() AND attempts < $3
       RETURNING id`,
      [userId, codeHash, maxAttempts],
    );
    return rowCount === 1;
  }

  /** A wrong guess counts against the user's live code, so it dies after `maxAttempts` misses. */
  async countMiss(userId: string): Promise<void> {
    await this.db.query(
      'UPDATE email_codes SET attempts = attempts + 1 WHERE user_id = $1 AND used_at IS NULL AND expires_at > now()',
      [userId],
    );
  }
}
