import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { errorsBetween, secondsToRecover } from '../../lib/recovery.ts';

describe('seconds to recover from a kill', () => {
  test('from the kill to the first second after which errors stay at zero for 5 s', () => {
    //                 0  1  2  3  4  5  6  7  8  9 10 11 12 13
    const errors = [0, 0, 0, 3, 4, 0, 1, 0, 0, 0, 0, 0, 0, 0];
    // Killed at 2.5 s: errors at 3, 4 and 6; quiet from 7 through 11.
    assert.equal(secondsToRecover(errors, 2_500), 4.5);
  });

  test('no error after the kill: recovered at once', () => {
    assert.equal(secondsToRecover([0, 0, 0, 0, 0, 0, 0, 0], 1_200), 0);
  });

  test('errors in the second of the kill count from the kill, not from the second', () => {
    assert.equal(secondsToRecover([0, 2, 0, 0, 0, 0, 0], 1_400), 0.6);
  });

  test('errors that begin after a quiet stretch still count: recovered when they end', () => {
    // A PostgreSQL failover: requests wait in retries and fail 4–6 s after the kill.
    //         10 11 12 13 14 15 16 17 18 19 20 21
    const errors = [...Array(10).fill(0), 0, 0, 0, 0, 0, 2, 1, 0, 0, 0, 0, 0];
    assert.equal(secondsToRecover(errors, 10_400), 6.6);
  });

  test('a run that ends before five quiet seconds has not recovered', () => {
    assert.equal(secondsToRecover([0, 5, 5, 0, 0, 0], 1_000), undefined);
    assert.equal(secondsToRecover([0, 5, 5, 0, 0, 0, 0, 0], 1_000), 2);
    assert.equal(secondsToRecover([0, 0, 0, 0], 1_000), undefined, 'no errors, but no five seconds either');
  });

  test("errors from the end of the kill window on are not the kill's", () => {
    // Killed at 2 s, back at 8 s: the window ends at 13 s. The errors at 15 s came later.
    const errors = [...Array(15).fill(0), 4, 0, 0, 0, 0, 0];
    assert.equal(secondsToRecover(errors, 2_000, 13_000), 0);
    assert.equal(secondsToRecover(errors, 2_000), 14, 'unbounded, they would be');
  });

  test('errors by kind summed over a window of seconds', () => {
    const perSecond: Array<Record<string, number>> = [
      { '503': 1 },
      { '503': 2, timeout: 1 },
      {},
      { refused: 4 },
    ];
    assert.deepEqual(errorsBetween(perSecond, 1_000, 3_000), { '503': 2, timeout: 1 });
    assert.deepEqual(errorsBetween(perSecond, 500, 10_000), { '503': 3, timeout: 1, refused: 4 });
  });
});
