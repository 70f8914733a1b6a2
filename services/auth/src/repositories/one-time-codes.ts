import type { Database } from '../../../common/src/database.ts';

/** Used codes are kept this long (an audit trail of sign-ins), then go with the user's next code. */
const KEEP_USED = '30 days';

export type CodeChannel = 'email' | 'push';

/** Six-digit codes sent to the user by email or to the phone app, one live code per channel. */
export class OneTimeCodesRepository {
  constructor(private readonly db: Database) {}

  /**
   * Stores a new code as the user's only live one: earlier unused codes are deleted in the same
   * transaction, under a lock on the user's row so two concurrent sends cannot leave two live codes.
   * Expiry is set by the database's clock, the same clock consume() compares against.
   */
  async create(code: {
    id: string;
    userId: string;
    channel: CodeChannel;
    codeHash: Buffer;
    ttlSeconds: number;
  }): Promise<void> {
    await this.db.transaction(async (client) => {
      await client.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [code.userId]);
      await client.query(
        `DELETE FROM one_time_codes
         WHERE user_id = $1 AND channel = $3 AND id <> $2
           AND (used_at IS NULL OR used_at < now() - interval '${KEEP_USED}')`,
        [code.userId, code.id, code.channel],
      );
      // ON CONFLICT: a retry after a commit whose answer a failover swallowed must not fail.
      await client.query(
        `INSERT INTO one_time_codes (id, user_id, channel, code_hash, expires_at)
         VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5)) ON CONFLICT (id) DO NOTHING`,
        [code.id, code.userId, code.channel, code.codeHash, code.ttlSeconds],
      );
    });
  }

  /**
   * Spends a live code in one statement: of two concurrent uses (on two replicas), exactly one
   * wins; an expired code, a used one, or one guessed at too often never does.
   */
  async consume(
    userId: string,
    channel: CodeChannel,
    codeHash: Buffer,
    maxAttempts: number,
  ): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `UPDATE one_time_codes SET used_at = now()
       WHERE user_id = $1 AND channel = $4 AND code_hash = $2 AND used_at IS NULL AND expires_at > now()
         AND attempts < $3
       RETURNING id`,
      [userId, codeHash, maxAttempts, channel],
    );
    return rowCount === 1;
  }

  /** A wrong guess counts against the user's live code, so it dies after `maxAttempts` misses. */
  async countMiss(userId: string, channel: CodeChannel): Promise<void> {
    await this.db.query(
      `UPDATE one_time_codes SET attempts = attempts + 1
       WHERE user_id = $1 AND channel = $2 AND used_at IS NULL AND expires_at > now()`,
      [userId, channel],
    );
  }
}
