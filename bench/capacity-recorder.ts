// What one phase of the capacity benchmark measured: an HdrHistogram of latencies (µs), the
// successes and errors by kind inside the recorded window, and the window's length.
import * as hdr from 'hdr-histogram-js';
import { BenchError } from './capacity-http.ts';

export interface PhaseResult {
  label: string;
  ok: number;
  errors: Map<string, number>;
  seconds: number;
  ratePerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** What ran: "32 in flight", "open loop at 1200/s"... */
  detail: string;
}

export class Recorder {
  readonly #latencies = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 120_000_000,
    numberOfSignificantValueDigits: 3,
  });
  readonly errors = new Map<string, number>();
  ok = 0;

  success(latencyMs: number): void {
    this.ok += 1;
    this.#latencies.recordValue(Math.max(1, Math.round(latencyMs * 1000)));
  }

  failure(error: unknown): void {
    const kind = error instanceof BenchError ? error.kind : `exception: ${(error as Error).message}`;
    this.errors.set(kind, (this.errors.get(kind) ?? 0) + 1);
  }

  result(label: string, seconds: number, detail: string): PhaseResult {
    const ms = (p: number) => (this.ok === 0 ? Number.NaN : this.#latencies.getValueAtPercentile(p) / 1000);
    return {
      label,
      ok: this.ok,
      errors: new Map(this.errors),
      seconds,
      ratePerSecond: this.ok / seconds,
      p50Ms: ms(50),
      p99Ms: ms(99),
      maxMs: this.ok === 0 ? Number.NaN : this.#latencies.maxValue / 1000,
      detail,
    };
  }
}
