// The open model: flow i is due at i/rate seconds whatever the earlier ones are doing. A flow's
// latency counts from that intended moment, so a stalled service shows in the figures instead of
// quietly slowing the generator down (no coordinated omission); a flow that cannot start because
// too many are in flight is dropped and counted, never postponed.

export interface OpenLoopOptions {
  rate: number;
  durationS: number;
  maxInFlight: number;
  /** Milliseconds on a monotonic clock. */
  now?: () => number;
  /** The run's start on the `now` clock (default: when runOpenLoop is called). */
  startedAt?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Starts flow `index`, meant to start at `intendedAt` (on the `now` clock); settles when it ends. */
  start(index: number, intendedAt: number): Promise<void>;
  drop(index: number, intendedAt: number): void;
  /** Stops issuing new flows early (Ctrl-C). */
  stopped?: () => boolean;
}

export const arrivalCount = (rate: number, durationS: number): number => Math.floor(rate * durationS);

export const intendedOffsetMs = (index: number, rate: number): number => (index * 1000) / rate;

/** How many of the flows from `next` on are due `elapsedMs` after the start (at most `total` in all). */
export function arrivalsDue(next: number, elapsedMs: number, rate: number, total: number): number {
  if (elapsedMs < 0) return 0;
  const dueThrough = Math.min(total, Math.floor((elapsedMs * rate) / 1000) + 1);
  return Math.max(0, dueThrough - next);
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Issues every flow at its time; resolves when all have been issued and every started one ended. */
export async function runOpenLoop(options: OpenLoopOptions): Promise<{ started: number; dropped: number }> {
  const now = options.now ?? (() => performance.now());
  const sleep = options.sleep ?? realSleep;
  const total = arrivalCount(options.rate, options.durationS);
  const running = new Set<Promise<void>>();
  const startedAt = options.startedAt ?? now();
  let next = 0;
  let started = 0;
  let dropped = 0;
  while (next < total && !options.stopped?.()) {
    const due = arrivalsDue(next, now() - startedAt, options.rate, total);
    for (let i = 0; i < due; i += 1, next += 1) {
      const intendedAt = startedAt + intendedOffsetMs(next, options.rate);
      if (running.size >= options.maxInFlight) {
        dropped += 1;
        options.drop(next, intendedAt);
        continue;
      }
      started += 1;
      const flow = options.start(next, intendedAt).catch(() => {});
      running.add(flow);
      void flow.finally(() => running.delete(flow));
    }
    if (next >= total) break;
    const wait = startedAt + intendedOffsetMs(next, options.rate) - now();
    await sleep(Math.max(0, Math.min(wait, 50)));
  }
  await Promise.all(running);
  return { started, dropped };
}
