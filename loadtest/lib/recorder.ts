// Everything a run measures: an HdrHistogram per flow and per step over the whole run, and one
// bucket per second (flows started, succeeded, failed by kind, dropped, and their latencies).
import type { Histogram } from 'hdr-histogram-js';
import { type LatencySummary, newHistogram, recordMs, summarise } from './latency-histogram.ts';

interface Bucket {
  started: number;
  ok: number;
  errors: Record<string, number>;
  dropped: Record<string, number>;
  notes: Record<string, number>;
  latency: Histogram;
}

interface Tally {
  ok: number;
  errors: Record<string, number>;
  latency: Histogram;
}

export interface SecondFigures extends LatencySummary {
  second: number;
  started: number;
  ok: number;
  failed: number;
  errors: Record<string, number>;
  dropped: Record<string, number>;
  /** Things that happened without failing a flow (a client moving to the other load balancer). */
  notes: Record<string, number>;
}

export interface TallyFigures {
  ok: number;
  failed: number;
  errors: Record<string, number>;
  latency: LatencySummary;
}

export interface RunEvent {
  atMs: number;
  kind: 'kill' | 'restart' | 'failover' | 'note';
  label: string;
}

const bump = (counts: Record<string, number>, key: string, by = 1) => {
  counts[key] = (counts[key] ?? 0) + by;
};
const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

export class Recorder {
  private readonly buckets: Bucket[] = [];
  private readonly flows = new Map<string, Tally>();
  private readonly steps = new Map<string, Tally>();
  private readonly droppedTotal: Record<string, number> = {};
  private readonly notesTotal: Record<string, number> = {};
  readonly events: RunEvent[] = [];
  inFlight = 0;

  /** `startedAt` on the same clock (ms) as every moment passed in later. */
  constructor(readonly startedAt: number) {}

  private bucket(at: number): Bucket {
    const second = Math.max(0, Math.floor((at - this.startedAt) / 1000));
    for (let s = this.buckets.length; s <= second; s += 1) {
      this.buckets.push({ started: 0, ok: 0, errors: {}, dropped: {}, notes: {}, latency: newHistogram() });
    }
    return this.buckets[second] as Bucket;
  }

  private tally(map: Map<string, Tally>, name: string): Tally {
    let tally = map.get(name);
    if (!tally) {
      tally = { ok: 0, errors: {}, latency: newHistogram() };
      map.set(name, tally);
    }
    return tally;
  }

  flowStarted(at: number): void {
    this.inFlight += 1;
    this.bucket(at).started += 1;
  }

  /** A flow that ended; `kind` undefined when it succeeded. Latency from the intended start. */
  flowEnded(flow: string, intendedAt: number, endedAt: number, kind?: string): void {
    this.inFlight -= 1;
    const bucket = this.bucket(endedAt);
    const tally = this.tally(this.flows, flow);
    if (kind === undefined) {
      bucket.ok += 1;
      tally.ok += 1;
      recordMs(bucket.latency, endedAt - intendedAt);
      recordMs(tally.latency, endedAt - intendedAt);
    } else {
      bump(bucket.errors, kind);
      bump(tally.errors, kind);
    }
  }

  /** A flow begun with flowStarted that found no user free for it: dropped after all. */
  flowNotStarted(intendedAt: number, reason: string): void {
    this.inFlight -= 1;
    this.bucket(intendedAt).started -= 1;
    this.flowDropped(intendedAt, reason);
  }

  /** A flow that never started: too many in flight, or no user free for it. */
  flowDropped(at: number, reason: string): void {
    bump(this.bucket(at).dropped, reason);
    bump(this.droppedTotal, reason);
  }

  /** One request of a flow, timed from when it was sent; `kind` undefined when it succeeded. */
  step(name: string, ms: number, kind?: string): void {
    const tally = this.tally(this.steps, name);
    if (kind === undefined) {
      tally.ok += 1;
      recordMs(tally.latency, ms);
    } else bump(tally.errors, kind);
  }

  /** Counts something that did not fail a flow, by second and in all. */
  note(at: number, what: string): void {
    bump(this.bucket(at).notes, what);
    bump(this.notesTotal, what);
  }

  event(at: number, kind: RunEvent['kind'], label: string): void {
    this.events.push({ atMs: Math.round(at - this.startedAt), kind, label });
  }

  /** Makes sure the timeline reaches `at` (seconds without any flow still get a bucket). */
  touch(at: number): void {
    this.bucket(at);
  }

  timeline(): SecondFigures[] {
    return this.buckets.map((bucket, second) => ({
      second,
      started: bucket.started,
      ok: bucket.ok,
      failed: sum(bucket.errors),
      errors: { ...bucket.errors },
      dropped: { ...bucket.dropped },
      notes: { ...bucket.notes },
      ...summarise(bucket.latency),
    }));
  }

  private static figures(map: Map<string, Tally>): Record<string, TallyFigures> {
    const out: Record<string, TallyFigures> = {};
    for (const [name, tally] of [...map].sort(([a], [b]) => a.localeCompare(b))) {
      out[name] = {
        ok: tally.ok,
        failed: sum(tally.errors),
        errors: { ...tally.errors },
        latency: summarise(tally.latency),
      };
    }
    return out;
  }

  flowFigures(): Record<string, TallyFigures> {
    return Recorder.figures(this.flows);
  }

  stepFigures(): Record<string, TallyFigures> {
    return Recorder.figures(this.steps);
  }

  /** All flows together. */
  overall(): TallyFigures & { dropped: Record<string, number>; notes: Record<string, number> } {
    const latency = newHistogram();
    const errors: Record<string, number> = {};
    let ok = 0;
    for (const tally of this.flows.values()) {
      latency.add(tally.latency);
      ok += tally.ok;
      for (const [kind, n] of Object.entries(tally.errors)) bump(errors, kind, n);
    }
    return {
      ok,
      failed: sum(errors),
      errors,
      latency: summarise(latency),
      dropped: { ...this.droppedTotal },
      notes: { ...this.notesTotal },
    };
  }
}
