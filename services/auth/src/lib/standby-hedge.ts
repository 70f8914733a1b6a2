// A read that may also be answered by a standby: PostgreSQL's (forward auth's lookups) or a Redis
// replica (session reads). Written by hand: it is a dozen lines, and what it must do when both sides
// fail (below) is ours to decide, not a library's.

export type StandbyResult = 'answered' | 'failed';

/** `read`, telling `onResult` how each call ended: a standby's metric. */
export function reported<T>(read: () => Promise<T>, onResult?: (result: StandbyResult) => void) {
  return () =>
    read().then(
      (value) => {
        onResult?.('answered');
        return value;
      },
      (error: unknown) => {
        onResult?.('failed');
        throw error;
      },
    );
}

/**
 * Asks `primary`; when it has not answered within `afterMs`, or has failed sooner, asks `standby`
 * too and takes whichever answers first (a later answer from the other is dropped). Fails only once
 * both have failed, with the primary's error. Without a standby, it is the primary's read alone.
 *
 * A standby's answer counts only when `trusted` says so; otherwise it is a failure of the standby.
 * A standby can be behind: "not found" there may be a row or a session the primary has just
 * written, and answering it would sign someone out (or apply a default rule) that the primary would not.
 */
export function hedged<T>(
  primary: () => Promise<T>,
  standby: (() => Promise<T>) | undefined,
  afterMs: number,
  trusted: (answer: T) => boolean = () => true,
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
      const standbyFailure = () => {
        standbyFailed = true;
        if (primaryFailure) reject(primaryFailure.error);
      };
      // Through a promise, so that a read that throws instead of rejecting is a failure like any other.
      Promise.resolve()
        .then(standby)
        .then((answer) => (trusted(answer) ? resolve(answer) : standbyFailure()), standbyFailure);
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
