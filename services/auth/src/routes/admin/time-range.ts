// The window a graph shows, and Prometheus's answer laid on one shared time axis (what uPlot draws).
import { invalidRequest } from '../../errors.ts';
import type { RangeSeries } from './prometheus.ts';

export const DEFAULT_MINUTES = 15;
export const MAX_MINUTES = 24 * 60;
const MAX_POINTS = 300;
const MIN_STEP_SECONDS = 2;

export interface TimeRange {
  /** Unix seconds; start and end are whole multiples of step, so successive polls line up. */
  start: number;
  end: number;
  step: number;
}

/** `minutes` as the query string gives it: whole minutes from 1 to a day, or the default. */
export function parseMinutes(value: string | undefined): number {
  if (value === undefined) return DEFAULT_MINUTES;
  const minutes = /^[0-9]{1,4}$/.test(value) ? Number(value) : Number.NaN;
  if (!(minutes >= 1 && minutes <= MAX_MINUTES)) {
    throw invalidRequest(`minutes must be a whole number from 1 to ${MAX_MINUTES}.`);
  }
  return minutes;
}

/** The last `minutes` up to now, in at most MAX_POINTS points. */
export function timeRange(minutes: number, nowMs = Date.now()): TimeRange {
  const seconds = minutes * 60;
  const step = Math.max(MIN_STEP_SECONDS, Math.ceil(seconds / (MAX_POINTS - 1)));
  const end = Math.floor(nowMs / 1000 / step) * step;
  return { start: end - Math.floor(seconds / step) * step, end, step };
}

export function timestampsOf(range: TimeRange): number[] {
  const count = Math.round((range.end - range.start) / range.step) + 1;
  return Array.from({ length: count }, (_, i) => range.start + i * range.step);
}

/** One series' values on the range's axis: null where Prometheus has no (finite) sample. */
export function alignedValues(series: RangeSeries, range: TimeRange): Array<number | null> {
  const values: Array<number | null> = timestampsOf(range).map(() => null);
  for (const [time, text] of series.values) {
    const index = Math.round((time - range.start) / range.step);
    const value = Number(text);
    if (index >= 0 && index < values.length && Number.isFinite(value)) values[index] = value;
  }
  return values;
}

/** A Grafana-style legend: `{{member}}` becomes the series' member label. */
export function legendOf(template: string, labels: Record<string, string>): string {
  const name = template.replace(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (_, label: string) =>
    Object.hasOwn(labels, label) ? (labels[label] ?? '') : '',
  );
  return name.trim() || labels.__name__ || 'value';
}
