import type { Database } from '../../../common/src/database.ts';

export interface UserRow {
  id: string;
  username: string;
  email: string | null;
  passwordHash: string;
  /** The password would be refused today (found at a login): the user is asked to change it. */
  passwordChangeRequired: boolean;
  createdAt: Date;
}

const COLUMNS = `id, username, email, password_hash AS "passwordHash",
  password_change_required AS "passwordChangeRequired", created_at AS "createdAt"`;

export class UsernameTakenError extends Error {
  override name = 'UsernameTakenError';
}

export class UsersRepository {
  constructor(private readonly db: Database) {}

  async create(user: {
    id: string;
    username: string;
    usernameKey: string;
    email: string | null;
    passwordHash: string;
  }): Promise<UserRow> {
    try {
      const { rows } = await this.db.query<UserRow>(
        `INSERT INTO users (id, username, username_key, email, password_hash)
         VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
        [user.id, user.username, user.usernameKey, user.email, user.passwordHash],
      );
      return rows[0] as UserRow;
    } catch (error) {
      if ((error as { code?: string }).code !== '23505') throw error;
      // Our own row, committed by an attempt whose answer a failover swallowed: that is a success.
      const existing = await this.findById(user.id);
      if (existing && existing.username === user.username) return existing;
      throw new UsernameTakenError();
    }
  }

  /** For imports: inserts unless the username exists; true when inserted. */
  async createIfAbsent(user: {
    id: string;
    username: string;
    usernameKey: string;
    email: string | null;
    passwordHash: string;
  }): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `INSERT INTO users (id, username, username_key, email, password_hash) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (username_key) DO NOTHING`,
      [user.id, user.username, user.usernameKey, user.email, user.passwordHash],
    );
    return rowCount === 1;
  }

  async findByUsernameKey(usernameKey: string): Promise<UserRow | undefined> {
    const { rows } = await this.db.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE username_key = $1`, [
      usernameKey,
    ]);
    return rows[0];
  }

  async findById(id: string): Promise<UserRow | undefined> {
    const { rows } = await this.db.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [id]);
    return rows[0];
  }

  /** The same password under a new hash (stronger parameters): whatever was asked of it still is. */
  async updatePasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.db.query('UPDATE users SET password_hash = $2 WHERE id = $1', [id, passwordHash]);
  }

  /** A new password chosen by the user, which met the policy: nothing more is asked of it. */
  async changePassword(id: string, passwordHash: string): Promise<void> {
    await this.db.query(
      'UPDATE users SET password_hash = $2, password_change_required = false WHERE id = $1',
      [id, passwordHash],
    );
  }

  async requirePasswordChange(id: string): Promise<void> {
    await this.db.query('UPDATE users SET password_change_required = true WHERE id = $1', [id]);
  }
}
