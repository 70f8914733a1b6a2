// A read that may also be answered by a PostgreSQL standby. Written by hand: it is a dozen lines,
// and what it must do when both sides fail (below) is ours to decide, not a library's.

/**
 * Asks `primary`; when it has not answered within `afterMs`, or has failed sooner, asks `standby`
 * too and takes whichever answers first (a later answer from the other is dropped). Fails only once
 * both have failed, with the primary's error. Without a standby, it is the primary's read alone.
 */
export function hedged<T>(
  primary: () => Promise<T>,
  standby: (() => Promise<T>) | undefined,
  afterMs: number,
): Promise<T> {
  const first = primary();
  if (!standby) return first;
  return new Promise<T>((resolve, reject) => {
    let primaryFailure: { error: unknown } | undefined;
    let standbyFailed = false;
    let standbyAsked = false;
    const askStandby = () => {
      if (standbyAsked) return;
      standbyAsked = true;
      clearTimeout(timer);
      // Through a promise, so that a read that throws instead of rejecting is a failure like any other.
      Promise.resolve()
        .then(standby)
        .then(resolve, () => {
          standbyFailed = true;
          if (primaryFailure) reject(primaryFailure.error);
        });
    };
    const timer = setTimeout(askStandby, afterMs);
    first.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        primaryFailure = { error };
        if (standbyFailed) reject(error);
        else askStandby();
      },
    );
  });
}
