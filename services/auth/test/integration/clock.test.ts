import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { createTestDatabase } from '../../../../test/support/services.ts';
import { Database } from '../../../common/src/database.ts';
import { createPgPool } from '../../../common/src/pg-pool.ts';
import { assertClockAgrees, ClockSkewError } from '../../src/lib/clock.ts';

describe('clock sanity at start-up', () => {
  it('passes when this machine and the database agree, and refuses a clock minutes off', async (t: TestContext) => {
    const pool = createPgPool({
      connectionString: await createTestDatabase(),
      applicationName: 'clock-test',
    });
    t.after(() => pool.end());
    const db = new Database(pool, 1_000);
    assert.ok(Math.abs(await assertClockAgrees(db, 1_000)) < 1_000);

    const realNow = Date.now;
    t.after(() => {
      Date.now = realNow;
    });
    Date.now = () => realNow() + 120_000; // this machine two minutes fast
    await assert.rejects(assertClockAgrees(db, 5_000), (error: Error) => {
      assert.ok(error instanceof ClockSkewError);
      assert.match(error.message, /ahead of the database's .*TWOFOLD_MAX_CLOCK_SKEW_MS/);
      return true;
    });
  });
});
