import type { Database } from '../../../common/src/database.ts';

/** A user's link to an application, as the account page lists it. */
export interface LinkedApplication {
  application: string;
  appUsername: string;
  linkedAt: Date;
}

/** The Twofold account behind an application's username for it. */
export interface LinkedUser {
  userId: string;
  username: string;
}

export type LinkResult = { linked: LinkedApplication } | 'no_application' | 'username_taken';

/** Which applications each user agreed may ask about them, under which of the application's usernames. */
export class ApplicationLinksRepository {
  constructor(private readonly db: Database) {}

  /**
   * Links (or re-links under another username) the application to the user. ON CONFLICT: a retry
   * after a commit whose answer a failover swallowed finds its own row and succeeds again.
   */
  async link(applicationId: string, userId: string, appUsername: string): Promise<LinkResult> {
    try {
      const { rows } = await this.db.query<LinkedApplication>(
        `WITH linked AS (
           INSERT INTO application_links (application_id, user_id, app_username)
           SELECT id, $2, $3 FROM applications WHERE id = $1
           ON CONFLICT (application_id, user_id) DO UPDATE SET app_username = EXCLUDED.app_username
           RETURNING application_id, app_username, created_at)
         SELECT a.name AS application, l.app_username AS "appUsername", l.created_at AS "linkedAt"
         FROM linked l JOIN applications a ON a.id = l.application_id`,
        [applicationId, userId, appUsername],
      );
      return rows[0] ? { linked: rows[0] } : 'no_application';
    } catch (error) {
      const code = (error as { code?: string }).code;
      // The other unique key: that username of the application belongs to another account's link.
      if (code === '23505') return 'username_taken';
      // The application (or the user) was removed meanwhile.
      if (code === '23503') return 'no_application';
      throw error;
    }
  }

  /**
   * The application ends the link of one of its usernames (its user left it, say): the Twofold
   * account that held it, or undefined when none did.
   */
  async unlinkAppUsername(applicationId: string, appUsername: string): Promise<LinkedUser | undefined> {
    const { rows } = await this.db.query<LinkedUser>(
      `WITH gone AS (
         DELETE FROM application_links WHERE application_id = $1 AND app_username = $2 RETURNING user_id)
       SELECT u.id AS "userId", u.username FROM gone g JOIN users u ON u.id = g.user_id`,
      [applicationId, appUsername],
    );
    return rows[0];
  }

  /** True if the user had linked the named application. */
  async unlink(applicationName: string, userId: string): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `DELETE FROM application_links l USING applications a
       WHERE a.id = l.application_id AND a.name = $1 AND l.user_id = $2`,
      [applicationName, userId],
    );
    return rowCount === 1;
  }

  async listForUser(userId: string): Promise<LinkedApplication[]> {
    const { rows } = await this.db.query<LinkedApplication>(
      `SELECT a.name AS application, l.app_username AS "appUsername", l.created_at AS "linkedAt"
       FROM application_links l JOIN applications a ON a.id = l.application_id
       WHERE l.user_id = $1 ORDER BY a.name`,
      [userId],
    );
    return rows;
  }

  /** The only way an application finds a user: through a link, by its own username for them. */
  async findUser(applicationId: string, appUsername: string): Promise<LinkedUser | undefined> {
    const { rows } = await this.db.query<LinkedUser>(
      `SELECT u.id AS "userId", u.username FROM application_links l JOIN users u ON u.id = l.user_id
       WHERE l.application_id = $1 AND l.app_username = $2`,
      [applicationId, appUsername],
    );
    return rows[0];
  }
}
