// Enrolled accounts for the login phase, handed out so that none logs in twice in one TOTP step:
// a code wins once (the replica claims its step atomically), so a second login of the same account
// in the same 30 s would be refused as a replay. First in, first out: the account used longest ago
// is always at the head, and it is free once the step has moved past the one it last used.

export interface BenchUser {
  username: string;
  password: string;
  /** The TOTP secret (base32) the enrolment returned. */
  secret: string;
  /** The last TOTP step (30 s) a code of this account was sent in. */
  lastStep: number;
}

export const totpStepAt = (ms: number): number => Math.floor(ms / 30_000);

export class UserPool {
  readonly #queue: BenchUser[];

  constructor(users: BenchUser[]) {
    this.#queue = [...users].sort((a, b) => a.lastStep - b.lastStep);
  }

  get size(): number {
    return this.#queue.length;
  }

  /** An account whose last step is before `step`, now marked as used in it; undefined when none is. */
  take(step: number): BenchUser | undefined {
    const head = this.#queue[0];
    if (!head || head.lastStep >= step) return undefined;
    this.#queue.shift();
    head.lastStep = step;
    this.#queue.push(head);
    return head;
  }

  /** Every account (for the cache), in the order they would be handed out. */
  all(): BenchUser[] {
    return [...this.#queue];
  }
}
