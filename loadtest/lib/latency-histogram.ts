// Latencies in an HdrHistogram, recorded in microseconds (3 significant digits) and read in ms.
import { build, type Histogram } from 'hdr-histogram-js';

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Up to an hour in µs; longer values are clamped (a request never lives that long: it times out). */
const HIGHEST_US = 3_600_000_000;

export function newHistogram(): Histogram {
  return build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: 3,
  });
}

export function recordMs(histogram: Histogram, ms: number): void {
  histogram.recordValue(Math.min(HIGHEST_US, Math.max(1, Math.round(ms * 1000))));
}

/** µs to ms, to 0.1 ms. */
const round = (us: number) => Math.round(us / 100) / 10;

export function summarise(histogram: Histogram): LatencySummary {
  if (histogram.totalCount === 0) return { count: 0, p50: 0, p90: 0, p99: 0, max: 0, mean: 0 };
  // A percentile reads as its bucket's highest equivalent value: never report it above the max.
  const max = histogram.maxValue;
  const at = (p: number) => round(Math.min(max, histogram.getValueAtPercentile(p)));
  return {
    count: histogram.totalCount,
    p50: at(50),
    p90: at(90),
    p99: at(99),
    max: round(max),
    mean: round(histogram.mean),
  };
}
