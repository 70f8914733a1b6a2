import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newHistogram, recordMs, summarise } from '../../lib/latency-histogram.ts';
import { Recorder } from '../../lib/recorder.ts';

describe('latency histograms and per-second buckets', () => {
  test('percentiles of known latencies, within the histogram precision', () => {
    const histogram = newHistogram();
    for (let ms = 1; ms <= 1_000; ms += 1) recordMs(histogram, ms);
    const s = summarise(histogram);
    assert.equal(s.count, 1_000);
    assert.ok(Math.abs(s.p50 - 500) <= 0.5, `p50 ${s.p50}`);
    assert.ok(Math.abs(s.p90 - 900) <= 1, `p90 ${s.p90}`);
    assert.ok(Math.abs(s.p99 - 990) <= 1, `p99 ${s.p99}`);
    assert.ok(s.p99 <= s.max, 'a percentile never above the max');
    assert.ok(Math.abs(s.max - 1_000) <= 1);
    assert.deepEqual(summarise(newHistogram()), { count: 0, p50: 0, p90: 0, p99: 0, max: 0, mean: 0 });
  });

  test('sub-millisecond and very long latencies are kept', () => {
    const histogram = newHistogram();
    recordMs(histogram, 0.25);
    recordMs(histogram, 600_000);
    const s = summarise(histogram);
    assert.equal(s.count, 2);
    assert.ok(Math.abs(s.max - 600_000) / 600_000 < 0.001);
  });

  test('flows fall in the second they end in; latency counts from the intended start', () => {
    const recorder = new Recorder(10_000);
    recorder.flowStarted(10_100);
    recorder.flowEnded('login', 10_100, 10_300); // 200 ms, second 0
    recorder.flowStarted(10_900);
    recorder.flowEnded('login', 10_900, 12_400); // 1.5 s late, second 2
    recorder.flowStarted(11_000);
    recorder.flowEnded('login', 11_000, 11_050, '503');
    recorder.flowDropped(11_500, 'in-flight-cap');
    recorder.flowStarted(11_600);
    recorder.flowNotStarted(11_600, 'no-free-user');
    const timeline = recorder.timeline();
    assert.equal(timeline.length, 3);
    assert.deepEqual(
      timeline.map((s) => [s.started, s.ok, s.failed]),
      [
        [2, 1, 0],
        [1, 0, 1],
        [0, 1, 0],
      ],
    );
    assert.deepEqual(timeline[1]?.errors, { '503': 1 });
    assert.deepEqual(timeline[1]?.dropped, { 'in-flight-cap': 1, 'no-free-user': 1 });
    assert.ok(Math.abs((timeline[0]?.p99 ?? 0) - 200) < 0.5);
    assert.ok(Math.abs((timeline[2]?.max ?? 0) - 1_500) < 2);
    const overall = recorder.overall();
    assert.equal(overall.ok, 2);
    assert.deepEqual(overall.errors, { '503': 1 });
    assert.deepEqual(overall.dropped, { 'in-flight-cap': 1, 'no-free-user': 1 });
    assert.equal(recorder.inFlight, 0);
  });

  test('steps are tallied by name, errors by kind', () => {
    const recorder = new Recorder(0);
    recorder.step('login/password', 50);
    recorder.step('login/password', 70);
    recorder.step('login/password', 3, '429');
    const steps = recorder.stepFigures();
    assert.equal(steps['login/password']?.ok, 2);
    assert.deepEqual(steps['login/password']?.errors, { '429': 1 });
  });
});
