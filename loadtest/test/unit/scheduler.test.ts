import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { arrivalCount, arrivalsDue, intendedOffsetMs, runOpenLoop } from '../../lib/scheduler.ts';

/** A clock that only moves when the loop sleeps. */
function fakeClock() {
  let now = 1_000;
  return {
    now: () => now,
    sleep: async (ms: number) => {
      now += Math.max(ms, 1);
    },
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('open-loop scheduler', () => {
  test('arrivals fall at i/rate, however long the run has been going', () => {
    assert.equal(arrivalCount(10, 3), 30);
    assert.equal(arrivalCount(2.5, 3), 7);
    assert.equal(intendedOffsetMs(5, 10), 500);
    assert.equal(arrivalsDue(0, 0, 10, 30), 1, 'the first flow is due at once');
    assert.equal(arrivalsDue(1, 99, 10, 30), 0);
    assert.equal(arrivalsDue(1, 100, 10, 30), 1);
    assert.equal(arrivalsDue(1, 1_000, 10, 30), 10, 'a late wake-up starts every flow that fell due');
    assert.equal(arrivalsDue(25, 60_000, 10, 30), 5, 'never more than the run holds');
    assert.equal(arrivalsDue(0, -5, 10, 30), 0);
  });

  test('each flow is started with its intended time, not when the loop got to it', async () => {
    const clock = fakeClock();
    const intended: number[] = [];
    const result = await runOpenLoop({
      rate: 4,
      durationS: 2,
      maxInFlight: 100,
      now: clock.now,
      sleep: async (ms) => {
        await clock.sleep(ms);
        clock.advance(120); // a sluggish event loop: every wake-up comes late
      },
      start: async (_i, at) => {
        intended.push(at - 1_000);
      },
      drop: () => assert.fail('nothing is dropped below the cap'),
    });
    assert.deepEqual(result, { started: 8, dropped: 0 });
    assert.deepEqual(intended, [0, 250, 500, 750, 1_000, 1_250, 1_500, 1_750]);
  });

  test('flows beyond the in-flight cap are dropped and counted, not delayed', async () => {
    const clock = fakeClock();
    const release: Array<() => void> = [];
    const dropped: number[] = [];
    const run = runOpenLoop({
      rate: 10,
      durationS: 1,
      maxInFlight: 3,
      now: clock.now,
      sleep: clock.sleep,
      start: () => new Promise<void>((resolve) => release.push(resolve)),
      drop: (index) => dropped.push(index),
    });
    // The loop issues all 10 within its simulated second while none of the first three ends.
    for (let i = 0; i < 50 && dropped.length < 7; i += 1) await new Promise((r) => setImmediate(r));
    for (const done of release) done();
    assert.deepEqual(await run, { started: 3, dropped: 7 });
    assert.deepEqual(dropped, [3, 4, 5, 6, 7, 8, 9]);
  });

  test('a stop request ends the issuing early and waits for flows in flight', async () => {
    const clock = fakeClock();
    let started = 0;
    const result = await runOpenLoop({
      rate: 10,
      durationS: 10,
      maxInFlight: 10,
      now: clock.now,
      sleep: clock.sleep,
      stopped: () => started >= 5,
      start: async () => {
        started += 1;
      },
      drop: () => {},
    });
    assert.equal(result.started, 5);
  });
});
