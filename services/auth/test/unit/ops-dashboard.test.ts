// The ops dashboard's pure parts: the graphs' time axis, legends, and where alert lines go.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alertMarkers } from '../../src/routes/admin/alerts.ts';
import {
  alignedValues,
  legendOf,
  parseMinutes,
  timeRange,
  timestampsOf,
} from '../../src/routes/admin/time-range.ts';

describe('ops dashboard time ranges', () => {
  it('never asks for more than 300 points, on a grid that lines up between polls', () => {
    for (const minutes of [1, 15, 60, 360, 1440]) {
      const range = timeRange(minutes, 1_700_000_123_456);
      assert.ok(timestampsOf(range).length <= 300, `${minutes} min`);
      assert.equal(range.end % range.step, 0);
      assert.ok(range.end - range.start <= minutes * 60);
    }
  });

  it('accepts whole minutes from 1 to a day only', () => {
    assert.equal(parseMinutes(undefined), 15);
    assert.equal(parseMinutes('60'), 60);
    for (const bad of ['abc', '-1', '1e9', '0', '1441', '1.5', '', ' 5']) {
      assert.throws(() => parseMinutes(bad), { statusCode: 400, code: 'invalid_request' });
    }
  });

  it('lays samples on the axis, gaps and NaN as null, and fills legends from labels', () => {
    const range = { start: 100, end: 110, step: 5 };
    const values = alignedValues(
      {
        metric: {},
        values: [
          [100, '1'],
          [110, 'NaN'],
        ],
      },
      range,
    );
    assert.deepEqual(values, [1, null, null]);
    assert.equal(legendOf('{{member}} {{ role }}', { member: 'redis-1', role: 'master' }), 'redis-1 master');
    assert.equal(legendOf('{{constructor}}', {}), 'value');
  });
});

describe('ops dashboard alert markers', () => {
  it('marks where an alert started and stopped firing, not one already firing at the start', () => {
    const range = { start: 0, end: 100, step: 10 };
    const series = (values: number[]) => ({
      metric: { alertname: 'TwofoldReplicaDown', member: 'auth-3' },
      values: values.map((t): [number, string] => [t, '1']),
    });
    const markers = alertMarkers([series([30, 40, 50, 80, 90, 100]), series([0, 10])], range);
    assert.deepEqual(
      markers.map((m) => `${m.kind}@${m.at}`),
      ['resolved@20', 'firing@30', 'resolved@60', 'firing@80'],
    );
  });
});
