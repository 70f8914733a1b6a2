import type { Database } from '../../../common/src/database.ts';

/** Security keys and passkeys one account may hold. */
export const MAX_WEBAUTHN_CREDENTIALS = 20;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** A credential id is at most 1023 bytes (WebAuthn §5.8.3): 1364 base64url characters. */
const CREDENTIAL_ID = /^[A-Za-z0-9_-]{1,1364}$/;

/** What the account page shows of a key; nothing an attacker could use. */
export interface WebAuthnCredentialView {
  id: string;
  name: string;
  passkey: boolean;
  backedUp: boolean;
  createdAt: Date;
  lastUsedAt: Date | null;
}

/** What a login checks an assertion against. */
export interface StoredWebAuthnCredential {
  id: string;
  userId: string;
  /** base64url, as browsers send it. */
  credentialId: string;
  publicKey: Uint8Array<ArrayBuffer>;
  counter: number;
  transports: string[];
  discoverable: boolean;
  backupEligible: boolean;
  backedUp: boolean;
  /** A copy of it signed with a counter gone back: refused until removed. */
  cloned: boolean;
}

export interface NewWebAuthnCredential extends Omit<StoredWebAuthnCredential, 'cloned'> {
  name: string;
  aaguid: string | null;
}

interface CredentialRow {
  id: string;
  user_id: string;
  credential_id: Buffer;
  public_key: Buffer;
  counter: string;
  transports: string[];
  name: string;
  discoverable: boolean;
  backup_eligible: boolean;
  backed_up: boolean;
  created_at: Date;
  last_used_at: Date | null;
  cloned_at: Date | null;
}

const toView = (r: CredentialRow): WebAuthnCredentialView => ({
  id: r.id,
  name: r.name,
  passkey: r.discoverable,
  backedUp: r.backed_up,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
});

const toStored = (r: CredentialRow): StoredWebAuthnCredential => ({
  id: r.id,
  userId: r.user_id,
  credentialId: r.credential_id.toString('base64url'),
  publicKey: new Uint8Array(r.public_key),
  counter: Number(r.counter),
  transports: r.transports,
  discoverable: r.discoverable,
  backupEligible: r.backup_eligible,
  backedUp: r.backed_up,
  cloned: r.cloned_at !== null,
});

/** The bytes of a canonical base64url credential id; undefined for anything else. */
function credentialIdBytes(credentialId: string): Buffer | undefined {
  if (!CREDENTIAL_ID.test(credentialId)) return undefined;
  const bytes = Buffer.from(credentialId, 'base64url');
  return bytes.toString('base64url') === credentialId ? bytes : undefined;
}

/** Security keys and passkeys (WebAuthn credentials): their public keys and signature counters. */
export class WebAuthnCredentialsRepository {
  constructor(private readonly db: Database) {}

  /**
   * Adds a credential unless the user already has MAX_WEBAUTHN_CREDENTIALS ('too_many') or the
   * authenticator's credential id is registered already, to anyone ('duplicate'). Under a lock on
   * the user's row, so two registrations at once cannot pass the limit. A retry after a commit whose
   * answer a failover swallowed finds its own row and returns it.
   */
  async add(
    credential: NewWebAuthnCredential,
  ): Promise<WebAuthnCredentialView | 'too_many' | 'duplicate' | 'no_second_factor'> {
    const credentialId = credentialIdBytes(credential.credentialId);
    if (!credentialId) return 'duplicate';
    return this.db.transaction(async (client) => {
      await client.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [credential.userId]);
      // A key hangs on the authenticator app (removing it removes them, under the same lock).
      const { rows: anchor } = await client.query(
        'SELECT 1 FROM totp_credentials WHERE user_id = $1 AND confirmed_at IS NOT NULL AND device_id IS NULL',
        [credential.userId],
      );
      if (anchor.length === 0) return 'no_second_factor';
      const { rows: mine } = await client.query<CredentialRow>(
        'SELECT * FROM webauthn_credentials WHERE id = $1',
        [credential.id],
      );
      if (mine[0]) return mine[0].user_id === credential.userId ? toView(mine[0]) : 'duplicate';
      const { rows: count } = await client.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM webauthn_credentials WHERE user_id = $1',
        [credential.userId],
      );
      if ((count[0]?.n ?? 0) >= MAX_WEBAUTHN_CREDENTIALS) return 'too_many';
      const { rows } = await client.query<CredentialRow>(
        `INSERT INTO webauthn_credentials (id, user_id, credential_id, public_key, counter, transports, name,
           discoverable, backup_eligible, backed_up, aaguid)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (credential_id) DO NOTHING RETURNING *`,
        [
          credential.id,
          credential.userId,
          credentialId,
          Buffer.from(credential.publicKey),
          credential.counter,
          credential.transports,
          credential.name,
          credential.discoverable,
          credential.backupEligible,
          credential.backedUp,
          credential.aaguid,
        ],
      );
      return rows[0] ? toView(rows[0]) : 'duplicate';
    });
  }

  async listForUser(userId: string): Promise<WebAuthnCredentialView[]> {
    const { rows } = await this.db.query<CredentialRow>(
      'SELECT * FROM webauthn_credentials WHERE user_id = $1 ORDER BY created_at, id',
      [userId],
    );
    return rows.map(toView);
  }

  async countForUser(userId: string): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM webauthn_credentials WHERE user_id = $1',
      [userId],
    );
    return rows[0]?.n ?? 0;
  }

  /** By the id the browser sends (base64url); undefined for an unknown or malformed id. */
  async findByCredentialId(credentialId: string): Promise<StoredWebAuthnCredential | undefined> {
    const bytes = credentialIdBytes(credentialId);
    if (!bytes) return undefined;
    const { rows } = await this.db.query<CredentialRow>(
      'SELECT * FROM webauthn_credentials WHERE credential_id = $1',
      [bytes],
    );
    return rows[0] ? toStored(rows[0]) : undefined;
  }

  /** The user's credential ids (base64url) and transports: what allowCredentials and excludeCredentials list. */
  async listCredentialIdsForUser(userId: string): Promise<Array<{ id: string; transports: string[] }>> {
    const { rows } = await this.db.query<{ credential_id: Buffer; transports: string[] }>(
      'SELECT credential_id, transports FROM webauthn_credentials WHERE user_id = $1 ORDER BY created_at, id',
      [userId],
    );
    return rows.map((r) => ({ id: r.credential_id.toString('base64url'), transports: r.transports }));
  }

  /**
   * Records a login with the authenticator's new signature counter, only if that counter still moves
   * forward (or both stay 0, for authenticators that keep none): a compare-and-set, so that two
   * assertions carrying the same counter, verified at once on two replicas, cannot both pass. False
   * when it did not move forward: the caller treats the key as cloned.
   */
  async recordUse(id: string, counter: number, backedUp: boolean): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `UPDATE webauthn_credentials SET counter = $2, backed_up = $3, last_used_at = now()
       WHERE id = $1 AND (counter < $2 OR (counter = 0 AND $2 = 0))`,
      [id, counter, backedUp],
    );
    return rowCount === 1;
  }

  /** Refuses the credential from now on (its owner removes it and adds the key again). */
  async suspendAsCloned(id: string): Promise<void> {
    await this.db.query(
      'UPDATE webauthn_credentials SET cloned_at = coalesce(cloned_at, now()) WHERE id = $1',
      [id],
    );
  }

  /** Only the owner's own credential; true if one was removed. An id that is no uuid removes nothing. */
  async remove(userId: string, id: string): Promise<boolean> {
    if (!UUID.test(id)) return false;
    const { rowCount } = await this.db.query(
      'DELETE FROM webauthn_credentials WHERE id = $1 AND user_id = $2',
      [id, userId],
    );
    return rowCount === 1;
  }
}
