// Seconds to recover from a kill: from the kill to the start of the first second after which
// errors stay at zero for a quiet window (5 s), on the run's per-second error counts.

export const QUIET_SECONDS = 5;

/**
 * `errorsPerSecond[s]` counts the errors of second s of the run; `killAtMs` is the kill's offset
 * from the run's start. Undefined when the run ended before a quiet window followed the kill.
 */
export function secondsToRecover(
  errorsPerSecond: number[],
  killAtMs: number,
  quietSeconds = QUIET_SECONDS,
): number | undefined {
  const first = Math.floor(killAtMs / 1000);
  for (let start = first; start + quietSeconds <= errorsPerSecond.length; start += 1) {
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
