// The two ways the capacity benchmark drives load. Closed loop: `concurrency` workers, each starting
// its next operation when the last one ends (the peak rate). Open loop: operations at a fixed rate,
// each latency measured from when it was due, not from when it could start, so a stall counts in
// full (no coordinated omission). Only what happens after the warm-up is recorded.
import { setTimeout as sleep } from 'node:timers/promises';
import { BenchError } from './capacity-http.ts';
import { type PhaseResult, Recorder } from './capacity-recorder.ts';

/** One operation of a worker (slot 0..concurrency-1, or a sequence number in the open loop). */
export type Operation = (slot: number) => Promise<void>;

export interface Timing {
  warmupMs: number;
  durationMs: number;
  /** Called when the recorded window opens and when it closes (to sample CPU, scrape metrics...). */
  onWindowStart?: () => void;
  onWindowEnd?: () => void;
}

/** Calls the window's hooks at its edges; returns a canceller. */
function windowHooks(timing: Timing): () => void {
  const timers = [
    setTimeout(() => timing.onWindowStart?.(), timing.warmupMs),
    setTimeout(() => timing.onWindowEnd?.(), timing.warmupMs + timing.durationMs),
  ];
  return () => {
    for (const timer of timers) clearTimeout(timer);
  };
}

/** A worker whose operation failed waits this long, so a dead target is not hammered in a tight loop. */
const PAUSE_AFTER_ERROR_MS = 5;

export async function closedLoop(
  label: string,
  concurrency: number,
  timing: Timing,
  operation: Operation,
): Promise<PhaseResult> {
  const recorder = new Recorder();
  const started = performance.now();
  const recordFrom = started + timing.warmupMs;
  const end = recordFrom + timing.durationMs;
  const cancelHooks = windowHooks(timing);
  const worker = async (slot: number) => {
    while (performance.now() < end) {
      const begun = performance.now();
      try {
        await operation(slot);
        const done = performance.now();
        if (done >= recordFrom && done <= end) recorder.success(done - begun);
      } catch (error) {
        const done = performance.now();
        if (done >= recordFrom && done <= end) recorder.failure(error);
        await sleep(PAUSE_AFTER_ERROR_MS);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, slot) => worker(slot)));
  cancelHooks();
  return recorder.result(label, timing.durationMs / 1000, `closed loop, ${concurrency} in flight`);
}

/** Operations due by `elapsedMs` at `ratePerSecond`: the schedule of the open loop. */
export function dueBy(elapsedMs: number, ratePerSecond: number): number {
  return Math.floor((elapsedMs * ratePerSecond) / 1000);
}

export async function openLoop(
  label: string,
  ratePerSecond: number,
  timing: Timing,
  operation: Operation,
  maxInFlight = 2_000,
): Promise<PhaseResult> {
  const recorder = new Recorder();
  const started = performance.now();
  const total = timing.warmupMs + timing.durationMs;
  const recorded = (dueAt: number) => dueAt - started >= timing.warmupMs;
  const pending = new Set<Promise<void>>();
  let sent = 0;
  const cancelHooks = windowHooks(timing);
  const launch = (sequence: number) => {
    const dueAt = started + (sequence * 1000) / ratePerSecond;
    if (pending.size >= maxInFlight) {
      if (recorded(dueAt)) recorder.failure(new BenchError(`not sent: ${maxInFlight} already in flight`));
      return;
    }
    const run = operation(sequence).then(
      () => {
        if (recorded(dueAt)) recorder.success(performance.now() - dueAt);
      },
      (error) => {
        if (recorded(dueAt)) recorder.failure(error);
      },
    );
    pending.add(run);
    void run.finally(() => pending.delete(run));
  };
  for (;;) {
    const elapsed = performance.now() - started;
    const due = dueBy(Math.min(elapsed, total), ratePerSecond);
    while (sent < due) launch(sent++);
    if (elapsed >= total) break;
    await sleep(1);
  }
  await Promise.all(pending);
  cancelHooks();
  return recorder.result(
    label,
    timing.durationMs / 1000,
    `open loop at ${Math.round(ratePerSecond)}/s (latency from when each was due)`,
  );
}
