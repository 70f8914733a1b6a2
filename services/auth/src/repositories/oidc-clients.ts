import type { Database } from '../../../common/src/database.ts';
import { NAME } from '../lib/application-access.ts';

export type IdTokenAlg = 'RS256' | 'ES256';

/** What the table's CHECK allows; `add` makes 22 characters (16 random bytes, base64url). */
export const CLIENT_ID = /^[A-Za-z0-9_-]{16,64}$/;

export interface OidcClientRow {
  clientId: string;
  name: string;
  /** The client secret sealed under the key ring (lib/oidc-client-secrets.ts); null: a public client. */
  secretEnvelope: string | null;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  scopes: string[];
  policy: 'one_factor' | 'two_factor';
  idTokenAlg: IdTokenAlg;
  createdAt: Date;
}

export type NewOidcClient = Omit<OidcClientRow, 'createdAt'>;

const COLUMNS = `client_id AS "clientId", name, secret_envelope AS "secretEnvelope",
  redirect_uris AS "redirectUris", post_logout_redirect_uris AS "postLogoutRedirectUris", scopes, policy,
  id_token_alg AS "idTokenAlg", created_at AS "createdAt"`;

export class OidcClientExistsError extends Error {
  override name = 'OidcClientExistsError';
}

const isUniqueViolation = (error: unknown) => (error as { code?: string }).code === '23505';

export class OidcClientsRepository {
  constructor(private readonly db: Database) {}

  /** Any string may come in (the provider passes what a request says): no such client is undefined. */
  async findById(clientId: string): Promise<OidcClientRow | undefined> {
    if (typeof clientId !== 'string' || !CLIENT_ID.test(clientId)) return undefined;
    const { rows } = await this.db.query<OidcClientRow>(
      `SELECT ${COLUMNS} FROM oidc_clients WHERE client_id = $1`,
      [clientId],
    );
    return rows[0];
  }

  async findByName(name: string): Promise<OidcClientRow | undefined> {
    if (typeof name !== 'string' || !NAME.test(name)) return undefined;
    const { rows } = await this.db.query<OidcClientRow>(
      `SELECT ${COLUMNS} FROM oidc_clients WHERE name = $1`,
      [name],
    );
    return rows[0];
  }

  /** By name first: a name of 16 or more characters could also be the form of a client_id. */
  async find(nameOrId: string): Promise<OidcClientRow | undefined> {
    return (await this.findByName(nameOrId)) ?? (await this.findById(nameOrId));
  }

  async list(): Promise<OidcClientRow[]> {
    const { rows } = await this.db.query<OidcClientRow>(`SELECT ${COLUMNS} FROM oidc_clients ORDER BY name`);
    return rows;
  }

  async add(client: NewOidcClient): Promise<OidcClientRow> {
    try {
      await this.db.query(
        `INSERT INTO oidc_clients (client_id, name, secret_envelope, redirect_uris, post_logout_redirect_uris,
           scopes, policy, id_token_alg) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [
          client.clientId,
          client.name,
          client.secretEnvelope,
          client.redirectUris,
          client.postLogoutRedirectUris,
          client.scopes,
          client.policy,
          client.idTokenAlg,
        ],
      );
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // Our own row, committed by an attempt whose answer a failover swallowed: that is a success.
      const existing = await this.findByName(client.name);
      if (existing?.clientId !== client.clientId || existing.secretEnvelope !== client.secretEnvelope)
        throw new OidcClientExistsError();
    }
    return (await this.findById(client.clientId)) as OidcClientRow;
  }

  /**
   * Removes the client (by name, else by client_id) and, in the same transaction, its grants and
   * refresh tokens. Its codes and access tokens in Redis expire on their own; the provider refuses
   * them once the client is gone. True when the client existed.
   */
  async remove(nameOrId: string): Promise<boolean> {
    const name = NAME.test(nameOrId) ? nameOrId : null;
    const id = CLIENT_ID.test(nameOrId) ? nameOrId : null;
    if (name === null && id === null) return false;
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ clientId: string }>(
        `DELETE FROM oidc_clients WHERE client_id = COALESCE(
           (SELECT client_id FROM oidc_clients WHERE name = $1),
           (SELECT client_id FROM oidc_clients WHERE client_id = $2))
         RETURNING client_id AS "clientId"`,
        [name, id],
      );
      const [removed] = rows;
      if (!removed) return false;
      await tx.query('DELETE FROM oidc_artifacts WHERE client_id = $1', [removed.clientId]);
      return true;
    });
  }

  /** A new secret; the old one stops opening at once. True when a confidential client has this id. */
  async replaceSecret(clientId: string, envelope: string): Promise<boolean> {
    if (!CLIENT_ID.test(clientId)) return false;
    const { rowCount } = await this.db.query(
      `UPDATE oidc_clients SET secret_envelope = $2, updated_at = now()
       WHERE client_id = $1 AND secret_envelope IS NOT NULL`,
      [clientId, envelope],
    );
    return rowCount === 1;
  }

  /** For key rotation: confidential clients whose secret another key than `keyId` sealed. */
  async notSealedUnder(
    keyId: string,
    limit: number,
  ): Promise<Array<{ clientId: string; secretEnvelope: string }>> {
    const { rows } = await this.db.query<{ clientId: string; secretEnvelope: string }>(
      `SELECT client_id AS "clientId", secret_envelope AS "secretEnvelope" FROM oidc_clients
       WHERE secret_envelope IS NOT NULL AND split_part(secret_envelope, '.', 2) <> $1
       ORDER BY client_id LIMIT $2`,
      [keyId, limit],
    );
    return rows;
  }

  /** Compare-and-set: a secret rotated while the key rotation runs is never overwritten. */
  async replaceEnvelope(clientId: string, expected: string, replacement: string): Promise<boolean> {
    const { rowCount } = await this.db.query(
      'UPDATE oidc_clients SET secret_envelope = $3 WHERE client_id = $1 AND secret_envelope = $2',
      [clientId, expected, replacement],
    );
    return rowCount === 1;
  }
}
