import type { KeyObject } from 'node:crypto';
import type { Database } from '../../common/src/database.ts';
import { parseDevicePublicKey } from '../../common/src/device-crypto.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The gateway's only use of PostgreSQL: a device's signing key, to check the phone's proof. */
export class DeviceKeys {
  constructor(private readonly db: Database) {}

  async signingKey(deviceId: string): Promise<KeyObject | undefined> {
    if (!UUID.test(deviceId)) return undefined;
    const { rows } = await this.db.query<{ signing_key: Buffer }>(
      'SELECT signing_key FROM devices WHERE id = $1',
      [deviceId],
    );
    return rows[0] ? parseDevicePublicKey(rows[0].signing_key) : undefined;
  }

  /** Which of these devices still exist (a removal announced while Redis failed over was not heard). */
  async existing(deviceIds: string[]): Promise<Set<string>> {
    const { rows } = await this.db.query<{ id: string }>(
      'SELECT id FROM devices WHERE id = ANY($1::uuid[])',
      [deviceIds],
    );
    return new Set(rows.map((r) => r.id));
  }

  /** "Last seen" for the user's list of devices; at most once a minute per device, and never awaited. */
  touch(deviceId: string): Promise<unknown> {
    return this.db.pool.query(
      `UPDATE devices SET last_seen_at = now()
       WHERE id = $1 AND (last_seen_at IS NULL OR last_seen_at < now() - interval '1 minute')`,
      [deviceId],
    );
  }
}
