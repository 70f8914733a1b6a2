import type { Database } from '../../../common/src/database.ts';

export interface AuditEvent {
  userId: string | null;
  username: string | null;
  step: string;
  result: string;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  detail?: Record<string, unknown>;
}

export interface ActivityRow {
  at: Date;
  step: string;
  result: string;
  ip: string | null;
  userAgent: string | null;
  /** The application whose verification (or link) the event was about, if one's. */
  application: string | null;
}

export class AuditRepository {
  constructor(private readonly db: Database) {}

  async record(event: AuditEvent): Promise<void> {
    await this.db.query(
      `INSERT INTO audit_events (user_id, username, step, result, ip, user_agent, request_id, detail)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        event.userId,
        event.username,
        event.step,
        event.result,
        event.ip,
        event.userAgent,
        event.requestId,
        event.detail ? JSON.stringify(event.detail) : null,
      ],
    );
  }

  async recentForUser(userId: string, limit: number): Promise<ActivityRow[]> {
    const { rows } = await this.db.query<ActivityRow>(
      `SELECT occurred_at AS at, step, result, ip, user_agent AS "userAgent", detail->>'application' AS application
       FROM audit_events WHERE user_id = $1 ORDER BY occurred_at DESC, id DESC LIMIT $2`,
      [userId, limit],
    );
    return rows;
  }
}
