import type { Database } from '../../../common/src/database.ts';

/** What /auth/verify tells an application about a user beyond the session: email and groups. */
export interface UserIdentity {
  email: string | null;
  groups: string[];
}

export class GroupsRepository {
  constructor(private readonly db: Database) {}

  async groupsOf(userId: string): Promise<string[]> {
    const { rows } = await this.db.query<{ group: string }>(
      'SELECT group_name AS "group" FROM user_groups WHERE user_id = $1 ORDER BY group_name',
      [userId],
    );
    return rows.map((row) => row.group);
  }

  /** The user's email and groups in one round trip; undefined when the user no longer exists. */
  async identityOf(userId: string): Promise<UserIdentity | undefined> {
    const { rows } = await this.db.query<UserIdentity>(
      `SELECT u.email, ARRAY(SELECT g.group_name FROM user_groups g WHERE g.user_id = u.id ORDER BY g.group_name)
         AS groups FROM users u WHERE u.id = $1`,
      [userId],
    );
    return rows[0];
  }

  async add(userId: string, groups: string[]): Promise<void> {
    if (groups.length === 0) return;
    await this.db.query(
      `INSERT INTO user_groups (user_id, group_name) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING`,
      [userId, groups],
    );
  }

  async remove(userId: string, groups: string[]): Promise<void> {
    if (groups.length === 0) return;
    await this.db.query('DELETE FROM user_groups WHERE user_id = $1 AND group_name = ANY($2::text[])', [
      userId,
      groups,
    ]);
  }

  async members(group: string): Promise<Array<{ userId: string; username: string }>> {
    const { rows } = await this.db.query<{ userId: string; username: string }>(
      `SELECT u.id AS "userId", u.username FROM user_groups g JOIN users u ON u.id = g.user_id
       WHERE g.group_name = $1 ORDER BY u.username_key`,
      [group],
    );
    return rows;
  }
}
