// The users flows sign in as. TOTP codes win once per 30 s step and account, so a user is lent to
// one flow at a time and only in a step it has not spent yet; a pool too small for the rate shows
// as flows dropped for "no-free-user", never as replayed codes failing.
import type { LoadUser } from '../seeded-users.ts';
import { NotStartedError } from './flow-errors.ts';
import { STEP_MS, totpStep } from './totp.ts';

export interface PoolUser extends LoadUser {
  /** The virtual client's source address: this user's logins always come from it. */
  address: string;
  /** The last TOTP step whose code this user spent (-1: none known). */
  lastStep: number;
  /** The paired phone's state file, for users with a phone. */
  phoneState?: string;
  /** When each push prompt went out (ms since the epoch): the service allows a budget per window. */
  prompts?: number[];
  /** The trusted-browser cookie the service gave this user's browser at a login. */
  deviceCookie?: string;
}

export class UserPool {
  private readonly busy = new Set<PoolUser>();
  private cursor = 0;

  constructor(readonly users: PoolUser[]) {}

  get size(): number {
    return this.users.length;
  }

  /** A user that is not in a flow and whose code for `step` is unspent; `usable` adds a condition. */
  take(step = totpStep(), usable: (user: PoolUser) => boolean = () => true): PoolUser {
    for (let tried = 0; tried < this.users.length; tried += 1) {
      const user = this.users[this.cursor] as PoolUser;
      this.cursor = (this.cursor + 1) % this.users.length;
      if (!this.busy.has(user) && user.lastStep < step && usable(user)) {
        this.busy.add(user);
        return user;
      }
    }
    throw new NotStartedError('no-free-user');
  }

  /**
   * For the setup, which has no rate to keep: a user whose code is unspent, waiting for the next
   * TOTP step when every user spent this one (accounts enrolled in a step's last seconds do).
   */
  async takeForSetup(): Promise<PoolUser> {
    try {
      return this.take();
    } catch (error) {
      if (!(error instanceof NotStartedError)) throw error;
      await new Promise((resolve) => setTimeout(resolve, (totpStep() + 1) * STEP_MS - Date.now() + 50));
      return this.take();
    }
  }

  /** Any user not in a flow, whatever its TOTP step (for flows that send no code). */
  takeAny(): PoolUser {
    return this.take(Number.POSITIVE_INFINITY);
  }

  release(user: PoolUser): void {
    this.busy.delete(user);
  }
}

/** Marks the step spent and returns its code computer's input: the step to send a code for now. */
export function spendStep(user: PoolUser, now = Date.now()): number {
  const step = Math.max(totpStep(now), user.lastStep + 1);
  user.lastStep = step;
  return step;
}
