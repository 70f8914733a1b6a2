// Seconds to recover from a kill: from the kill to the end of the failures it caused, that is the
// start of the first quiet window (5 s without an error) that begins at or after the first error
// following the kill, on the run's per-second error counts. The search starts at that first error,
// not at the kill: a failover whose requests wait in retries fails seconds later, after a quiet
// stretch that must not count as recovered.

export const QUIET_SECONDS = 5;

/**
 * `errorsPerSecond[s]` counts the errors of second s of the run; `killAtMs` is the kill's offset
 * from the run's start, and errors from `untilMs` on (the member back, and 5 s more) are not the
 * kill's. 0 when no error followed the kill; undefined when the run ended before a quiet window
 * followed its errors, or before one could follow the kill.
 */
export function secondsToRecover(
  errorsPerSecond: number[],
  killAtMs: number,
  untilMs = Number.POSITIVE_INFINITY,
  quietSeconds = QUIET_SECONDS,
): number | undefined {
  const killSecond = Math.floor(killAtMs / 1000);
  const firstError = errorsPerSecond.findIndex(
    (errors, second) => second >= killSecond && second * 1000 < untilMs && errors > 0,
  );
  if (firstError === -1) return killSecond + quietSeconds <= errorsPerSecond.length ? 0 : undefined;
  for (let start = firstError; start + quietSeconds <= errorsPerSecond.length; start += 1) {
    const window = errorsPerSecond.slice(start, start + quietSeconds);
    if (window.every((errors) => errors === 0)) return Math.max(0, start * 1000 - killAtMs) / 1000;
  }
  return undefined;
}

/** Sums errors by kind over the seconds in [fromMs, toMs). */
export function errorsBetween(
  perSecond: Array<Record<string, number>>,
  fromMs: number,
  toMs: number,
): Record<string, number> {
  const sums: Record<string, number> = {};
  for (
    let s = Math.max(0, Math.floor(fromMs / 1000));
    s < Math.min(perSecond.length, Math.ceil(toMs / 1000));
    s += 1
  ) {
    for (const [kind, count] of Object.entries(perSecond[s] ?? {})) sums[kind] = (sums[kind] ?? 0) + count;
  }
  return sums;
}
