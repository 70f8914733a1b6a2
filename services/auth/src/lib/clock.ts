import type { Database } from '../../../common/src/database.ts';

export class ClockSkewError extends Error {
  override name = 'ClockSkewError';
}

/**
 * TOTP codes are only as right as the clock: refuse to start when this machine and the database
 * disagree by more than `maxSkewMs`. The database's time is read between two local readings, so the
 * round trip cannot be mistaken for skew.
 */
export async function assertClockAgrees(db: Database, maxSkewMs: number): Promise<number> {
  const before = Date.now();
  const { rows } = await db.query<{ now: Date }>('SELECT clock_timestamp() AS now');
  const after = Date.now();
  const databaseMs = (rows[0] as { now: Date }).now.getTime();
  const localMs = (before + after) / 2;
  const skewMs = Math.round(localMs - databaseMs);
  if (Math.abs(skewMs) > maxSkewMs + (after - before) / 2) {
    throw new ClockSkewError(
      `this machine's clock is ${Math.abs(skewMs)} ms ${skewMs > 0 ? 'ahead of' : 'behind'} the database's ` +
        `(at most ${maxSkewMs} ms allowed, TWOFOLD_MAX_CLOCK_SKEW_MS): fix the time (NTP) before starting, TOTP depends on it`,
    );
  }
  return skewMs;
}
