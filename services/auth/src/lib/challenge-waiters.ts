import type { Redis } from 'ioredis';
import { subscribeAfterEveryConnect } from '../../../common/src/redis-client.ts';

/**
 * Wakes the long polls waiting on this replica as soon as their push challenge is decided, on any
 * replica (the deciding one publishes the challenge id). Pub/sub can miss a message while Redis
 * fails over, so a waiter also wakes after a fallback interval and looks for itself.
 */
export class ChallengeWaiters {
  private readonly waiting = new Map<string, Set<() => void>>();

  constructor(
    private readonly subscriber: Redis,
    readonly channel: string,
  ) {}

  async start(onError: (error: unknown) => void): Promise<void> {
    this.subscriber.on('message', (channel: string, challengeId: string) => {
      if (channel === this.channel) this.wake(challengeId);
    });
    this.subscriber.on('ready', () => {
      for (const id of [...this.waiting.keys()]) this.wake(id);
    });
    await subscribeAfterEveryConnect(this.subscriber, [this.channel], onError);
  }

  /** Resolves when the challenge is decided, or after `maxMs`, whichever comes first. */
  wait(challengeId: string, maxMs: number): Promise<void> {
    return new Promise((resolve) => {
      const set = this.waiting.get(challengeId) ?? new Set();
      this.waiting.set(challengeId, set);
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0) this.waiting.delete(challengeId);
        resolve();
      };
      const timer = setTimeout(done, maxMs);
      set.add(done);
    });
  }

  private wake(challengeId: string): void {
    for (const done of [...(this.waiting.get(challengeId) ?? [])]) done();
  }
}
