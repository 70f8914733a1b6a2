import type pg from 'pg';
import type { Database } from '../../../common/src/database.ts';
import type { Policy } from '../lib/application-access.ts';

export interface ApplicationRow {
  id: string;
  name: string;
  policy: Policy;
  /** Username keys. */
  allowedUsers: string[];
  allowedGroups: string[];
  /** Lower case, without port, sorted. */
  hosts: string[];
  createdAt: Date;
  keyRotatedAt: Date | null;
}

export interface NewApplication {
  id: string;
  name: string;
  policy: Policy;
  allowedUsers: string[];
  allowedGroups: string[];
  hosts: string[];
  apiKeyId: string;
  apiKeyHash: Buffer;
}

const COLUMNS = `a.id, a.name, a.policy, a.allowed_users AS "allowedUsers", a.allowed_groups AS "allowedGroups",
  a.created_at AS "createdAt", a.key_rotated_at AS "keyRotatedAt",
  ARRAY(SELECT h.host FROM application_hosts h WHERE h.application_id = a.id ORDER BY h.host) AS hosts`;

export class ApplicationExistsError extends Error {
  override name = 'ApplicationExistsError';
}

/** A host that already belongs to another application. */
export class HostTakenError extends Error {
  override name = 'HostTakenError';
}

const isUniqueViolation = (error: unknown, constraint: string) =>
  (error as { code?: string }).code === '23505' &&
  (error as { constraint?: string }).constraint === constraint;

export class ApplicationsRepository {
  constructor(private readonly db: Database) {}

  async create(app: NewApplication): Promise<ApplicationRow> {
    try {
      await this.db.transaction(async (client) => {
        await client.query(
          `INSERT INTO applications (id, name, policy, allowed_users, allowed_groups, api_key_id, api_key_hash)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [app.id, app.name, app.policy, app.allowedUsers, app.allowedGroups, app.apiKeyId, app.apiKeyHash],
        );
        await insertHosts(client, app.id, app.hosts);
      });
    } catch (error) {
      if (isUniqueViolation(error, 'application_hosts_pkey')) throw new HostTakenError();
      if (!isUniqueViolation(error, 'applications_name_key')) throw error;
      // Our own row, committed by an attempt whose answer a failover swallowed: that is a success.
      const existing = await this.findByName(app.name);
      if (existing?.id !== app.id) throw new ApplicationExistsError();
    }
    return (await this.findByName(app.name)) as ApplicationRow;
  }

  async list(): Promise<ApplicationRow[]> {
    const { rows } = await this.db.query<ApplicationRow>(
      `SELECT ${COLUMNS} FROM applications a ORDER BY a.name`,
    );
    return rows;
  }

  async findByName(name: string): Promise<ApplicationRow | undefined> {
    const { rows } = await this.db.query<ApplicationRow>(
      `SELECT ${COLUMNS} FROM applications a WHERE a.name = $1`,
      [name],
    );
    return rows[0];
  }

  async findByHost(host: string): Promise<ApplicationRow | undefined> {
    const { rows } = await this.db.query<ApplicationRow>(
      `SELECT ${COLUMNS} FROM application_hosts x JOIN applications a ON a.id = x.application_id WHERE x.host = $1`,
      [host],
    );
    return rows[0];
  }

  async findByApiKeyId(keyId: string): Promise<(ApplicationRow & { apiKeyHash: Buffer }) | undefined> {
    const { rows } = await this.db.query<ApplicationRow & { apiKeyHash: Buffer }>(
      `SELECT ${COLUMNS}, a.api_key_hash AS "apiKeyHash" FROM applications a WHERE a.api_key_id = $1`,
      [keyId],
    );
    return rows[0];
  }

  /** True when the application existed. */
  async remove(name: string): Promise<boolean> {
    const { rowCount } = await this.db.query('DELETE FROM applications WHERE name = $1', [name]);
    return rowCount === 1;
  }

  /** The old key stops working at once. True when the application exists. */
  async rotateKey(name: string, apiKeyId: string, apiKeyHash: Buffer): Promise<boolean> {
    const { rowCount } = await this.db.query(
      'UPDATE applications SET api_key_id = $2, api_key_hash = $3, key_rotated_at = now() WHERE name = $1',
      [name, apiKeyId, apiKeyHash],
    );
    return rowCount === 1;
  }

  /** Sets what is given (hosts replace the old ones), keeps the rest, in one transaction. True when it exists. */
  async update(
    name: string,
    change: { hosts?: string[]; policy?: Policy; allowedUsers?: string[]; allowedGroups?: string[] },
  ): Promise<boolean> {
    try {
      return await this.db.transaction(async (client) => {
        const { rows } = await client.query<{ id: string }>(
          `UPDATE applications SET policy = COALESCE($2, policy), allowed_users = COALESCE($3, allowed_users),
             allowed_groups = COALESCE($4, allowed_groups) WHERE name = $1 RETURNING id`,
          [name, change.policy ?? null, change.allowedUsers ?? null, change.allowedGroups ?? null],
        );
        const id = rows[0]?.id;
        if (!id) return false;
        if (change.hosts) {
          await client.query('DELETE FROM application_hosts WHERE application_id = $1', [id]);
          await insertHosts(client, id, change.hosts);
        }
        return true;
      });
    } catch (error) {
      if (isUniqueViolation(error, 'application_hosts_pkey')) throw new HostTakenError();
      throw error;
    }
  }
}

async function insertHosts(client: pg.PoolClient, applicationId: string, hosts: string[]): Promise<void> {
  if (hosts.length === 0) return;
  await client.query('INSERT INTO application_hosts (host, application_id) SELECT unnest($1::text[]), $2', [
    hosts,
    applicationId,
  ]);
}
