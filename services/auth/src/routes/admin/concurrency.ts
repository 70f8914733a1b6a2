// A per-replica cap on calls in flight (to Prometheus): whatever an admin session sends, a replica
// never has more than a few queries running there, and never an unbounded line of them waiting.
import { ApiError } from '../../errors.ts';

/** The line is full: the API's usual 429, to be retried a second later (the page retries anyway). */
export const tooManyInFlight = () =>
  new ApiError(429, 'rate_limited', 'Too many requests. Slow down and try again shortly.', {
    'retry-after': '1',
  });

interface Waiter {
  grant(): void;
}

/** Thrown by acquire() when the caller's signal ended the wait: its deadline passed before a slot freed. */
export class WaitAborted extends Error {
  constructor() {
    super('gave up waiting for a free slot');
  }
}

/**
 * At most `maxInFlight` holders at once; up to `maxQueued` more wait their turn in order (one
 * dashboard's round of panels asks more than `maxInFlight` queries at once and must not be turned
 * away); beyond that, acquire() refuses at once with a 429.
 */
export class ConcurrencyLimit {
  #inFlight = 0;
  readonly #queue: Waiter[] = [];

  constructor(
    readonly maxInFlight: number,
    readonly maxQueued: number,
  ) {
    if (!(maxInFlight >= 1 && maxQueued >= 0)) throw new Error('a limit needs at least one slot');
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  get queued(): number {
    return this.#queue.length;
  }

  /**
   * A slot, and the function that gives it back (once; later calls do nothing). Waits while all
   * slots are taken; rejects with tooManyInFlight() when the line is full too, and with WaitAborted
   * when `signal` ends the wait first.
   */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) throw new WaitAborted();
    if (this.#inFlight < this.maxInFlight) {
      this.#inFlight += 1;
      return this.#releaser();
    }
    if (this.#queue.length >= this.maxQueued) throw tooManyInFlight();
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        const at = this.#queue.indexOf(waiter);
        if (at >= 0) this.#queue.splice(at, 1);
        reject(new WaitAborted());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(waiter);
    });
    // The slot was handed over by its last holder: #inFlight already counts it.
    return this.#releaser();
  }

  /** Runs `task` in a slot, given back whatever the task does. */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const release = await this.acquire(signal);
    try {
      return await task();
    } finally {
      release();
    }
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#queue.shift();
      if (next) next.grant();
      else this.#inFlight -= 1;
    };
  }
}
