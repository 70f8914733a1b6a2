import type { Database } from '../../../common/src/database.ts';

export interface Device {
  id: string;
  userId: string;
  name: string;
  signingKey: Buffer;
  encryptionKey: Buffer;
  createdAt: Date;
  lastSeenAt: Date | null;
}

interface DeviceRow {
  id: string;
  user_id: string;
  name: string;
  signing_key: Buffer;
  encryption_key: Buffer;
  created_at: Date;
  last_seen_at: Date | null;
}

const toDevice = (r: DeviceRow): Device => ({
  id: r.id,
  userId: r.user_id,
  name: r.name,
  signingKey: r.signing_key,
  encryptionKey: r.encryption_key,
  createdAt: r.created_at,
  lastSeenAt: r.last_seen_at,
});

/** Paired phones: their public keys and when they were last connected. */
export class DevicesRepository {
  constructor(private readonly db: Database) {}

  /**
   * Adds a device with its own TOTP credential (sealed by the caller), unless the user already has
   * `maxDevices` or no longer has an authenticator app. All under a lock on the user's row, which
   * removing the authenticator takes too: two pairings at once cannot pass the limit, and a phone
   * cannot be added to a factor being removed. ON CONFLICT: a retry after a commit whose answer a
   * failover swallowed must not fail.
   */
  async add(
    device: Omit<Device, 'createdAt' | 'lastSeenAt'>,
    credential: { id: string; secretEnvelope: string },
    maxDevices: number,
  ): Promise<Device | 'full' | 'no_factor'> {
    return this.db.transaction(async (client) => {
      await client.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [device.userId]);
      const { rows: state } = await client.query<{ devices: number; authenticators: number }>(
        `SELECT (SELECT count(*)::int FROM devices WHERE user_id = $1 AND id <> $2) AS devices,
                (SELECT count(*)::int FROM totp_credentials
                  WHERE user_id = $1 AND device_id IS NULL AND confirmed_at IS NOT NULL) AS authenticators`,
        [device.userId, device.id],
      );
      if ((state[0]?.authenticators ?? 0) === 0) return 'no_factor';
      if ((state[0]?.devices ?? 0) >= maxDevices) return 'full';
      const { rows } = await client.query<DeviceRow>(
        `INSERT INTO devices (id, user_id, name, signing_key, encryption_key) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id) DO UPDATE SET id = EXCLUDED.id RETURNING *`,
        [device.id, device.userId, device.name, device.signingKey, device.encryptionKey],
      );
      await client.query(
        `INSERT INTO totp_credentials (id, user_id, secret_envelope, confirmed_at, device_id)
         VALUES ($1, $2, $3, now(), $4) ON CONFLICT (id) DO NOTHING`,
        [credential.id, device.userId, credential.secretEnvelope, device.id],
      );
      return toDevice(rows[0] as DeviceRow);
    });
  }

  async findById(id: string): Promise<Device | undefined> {
    const { rows } = await this.db.query<DeviceRow>('SELECT * FROM devices WHERE id = $1', [id]);
    return rows[0] ? toDevice(rows[0]) : undefined;
  }

  async listForUser(userId: string): Promise<Device[]> {
    const { rows } = await this.db.query<DeviceRow>(
      'SELECT * FROM devices WHERE user_id = $1 ORDER BY created_at, id',
      [userId],
    );
    return rows.map(toDevice);
  }

  async countForUser(userId: string): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM devices WHERE user_id = $1',
      [userId],
    );
    return rows[0]?.n ?? 0;
  }

  /** Only the owner's own device; true if one was removed. */
  async remove(userId: string, id: string): Promise<boolean> {
    const { rowCount } = await this.db.query('DELETE FROM devices WHERE id = $1 AND user_id = $2', [
      id,
      userId,
    ]);
    return rowCount === 1;
  }
}
