// A small, bounded client loop for failover tests: N workers repeat a request until stopped,
// and every outcome is recorded with its timing. It only ever talks to loopback addresses.

export interface Outcome {
  kind: string;
  ok: boolean;
  status: number;
  startedAt: number;
  endedAt: number;
  detail?: string;
}

export interface Traffic {
  outcomes: Outcome[];
  /** Stops the workers and waits for the requests in flight to finish. */
  stop(): Promise<Outcome[]>;
}

export interface Worker {
  kind: string;
  /**
   * One request; resolves to its HTTP status (0 for a network error) and whether it counts as success,
   * or to undefined when it had nothing to send this turn (nothing is recorded).
   */
  run(): Promise<{ status: number; ok: boolean; detail?: string } | undefined>;
  /** Pause between two requests of one worker. */
  pauseMs?: number;
}

const HARD_LIMIT_MS = 120_000;

export function startTraffic(workers: Worker[]): Traffic {
  const outcomes: Outcome[] = [];
  let stopped = false;
  const startedAt = Date.now();
  const loops = workers.map(async (worker) => {
    while (!stopped && Date.now() - startedAt < HARD_LIMIT_MS) {
      const began = Date.now();
      let result: { status: number; ok: boolean; detail?: string } | undefined;
      try {
        result = await worker.run();
      } catch (error) {
        result = { status: 0, ok: false, detail: (error as Error).message };
      }
      if (result) outcomes.push({ kind: worker.kind, ...result, startedAt: began, endedAt: Date.now() });
      await new Promise((resolve) => setTimeout(resolve, worker.pauseMs ?? 20));
    }
  });
  return {
    outcomes,
    stop: async () => {
      stopped = true;
      await Promise.all(loops);
      return outcomes;
    },
  };
}

export function summarize(outcomes: Outcome[], kind: string) {
  const mine = outcomes.filter((o) => o.kind === kind);
  const failed = mine.filter((o) => !o.ok);
  return {
    total: mine.length,
    failed: failed.length,
    statuses: [...new Set(failed.map((o) => `${o.status}${o.detail ? ` ${o.detail}` : ''}`))].slice(0, 5),
  };
}

/**
 * Seconds from `from` (default `since`) until the first success of `kind` among the requests sent
 * after `since`: pass the moment the member was gone as `since` and the kill's start as `from`, so
 * a request that was answered before the kill took effect does not count as "back".
 */
export function secondsUntilSuccess(
  outcomes: Outcome[],
  kind: string,
  since: number,
  from = since,
): number | undefined {
  const first = outcomes
    .filter((o) => o.kind === kind && o.ok && o.startedAt > since)
    .sort((a, b) => a.endedAt - b.endedAt)[0];
  return first ? (first.endedAt - from) / 1000 : undefined;
}

/** Polls until secondsUntilSuccess has an answer or `timeoutMs` has passed since `from`. */
export async function waitForSuccess(
  traffic: Traffic,
  kind: string,
  since: number,
  from: number,
  timeoutMs: number,
): Promise<number | undefined> {
  for (;;) {
    const seconds = secondsUntilSuccess(traffic.outcomes, kind, since, from);
    if (seconds !== undefined || Date.now() - from > timeoutMs) return seconds;
    await sleep(100);
  }
}

/** Requests (of `kind`, or all) sent at or after `from` and answered by `to`: what ran in that window. */
export function answeredWithin(outcomes: Outcome[], from: number, to: number, kind?: string): Outcome[] {
  return outcomes.filter(
    (o) => (kind === undefined || o.kind === kind) && o.startedAt >= from && o.endedAt <= to,
  );
}

/** The failed outcomes whose status is not among `allowed`, as "kind status detail" lines. */
export function unexpectedFailures(outcomes: Outcome[], allowed: number[] = []): string[] {
  return outcomes
    .filter((o) => !o.ok && !allowed.includes(o.status))
    .map((o) => `${o.kind} ${o.status}${o.detail ? ` ${o.detail}` : ''}`);
}

/** Longest stretch, in seconds, with no success of `kind` completing, within [from, to]. */
export function longestGapSeconds(outcomes: Outcome[], kind: string, from: number, to: number): number {
  const times = outcomes
    .filter((o) => o.kind === kind && o.ok && o.endedAt >= from && o.endedAt <= to)
    .map((o) => o.endedAt)
    .sort((a, b) => a - b);
  let last = from;
  let gap = 0;
  for (const time of [...times, to]) {
    gap = Math.max(gap, time - last);
    last = time;
  }
  return gap / 1000;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
