import type { Redis } from 'ioredis';

/** How long writes stop waiting for replicas after one WAIT timed out with too few replicas. */
const DEGRADED_MS = 5_000;

export interface ReplicaWaitOptions {
  waitReplicas: number;
  waitTimeoutMs: number;
  /** Called when a write was not acknowledged by enough replicas in time. */
  onUnreplicated?: (acknowledged: number) => void;
}

/**
 * The WAIT after a write that must survive a Redis master kill (sessions, the OpenID provider's
 * codes and interactions), shared by all of a replica's writers.
 *
 * WAIT blocks the connection it is sent on, which every request of this replica shares: with no
 * replica to acknowledge, each write would hold every other command back for the whole timeout, and
 * under a few logins a second they queue past their own timeouts (the load test's Redis master kill:
 * 503s for the 25 s until a replica came back). So when a WAIT times out and the master says it has
 * fewer replicas than wanted, writes stand on the master alone (as that WAIT's did) without one for
 * DEGRADED_MS, and then one full WAIT probes again. A replica that is there but slow keeps every
 * write waiting. Not a shorter WAIT: Redis times WAITs out on its 100 ms clock.
 */
export class ReplicaWait {
  #unreplicatedUntil = 0;
  /** Whether the last WAIT was acknowledged by as many replicas as wanted (none yet: true). */
  #lastAcknowledged = true;
  /** Writes that have asked for a WAIT so far; each WAIT covers those before it was sent. */
  #writes = 0;
  #inFlight: { covers: number; done: Promise<void> } | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly options: ReplicaWaitOptions,
  ) {}

  /**
   * After a write has reached the master. One WAIT at a time: it covers every write made on this
   * connection before it was sent, so writers whose write it covers share it, and the others share
   * the next one. A burst of writes with no replica then costs one timeout, not one each in a row.
   */
  async afterWrite(): Promise<void> {
    if (this.options.waitReplicas <= 0) return;
    this.#writes += 1;
    const mine = this.#writes;
    for (;;) {
      if (performance.now() < this.#unreplicatedUntil) return;
      const current = this.#inFlight;
      if (current && current.covers >= mine) return current.done;
      if (current) {
        await current.done.catch(() => {});
        continue;
      }
      const done = this.#waitOnce();
      this.#inFlight = { covers: this.#writes, done };
      try {
        return await done;
      } finally {
        if (this.#inFlight?.done === done) this.#inFlight = undefined;
      }
    }
  }

  async #waitOnce(): Promise<void> {
    const { waitReplicas, waitTimeoutMs } = this.options;
    const acknowledged = Number(
      await this.redis.wait(waitReplicas, waitTimeoutMs).catch((error) => {
        this.#lastAcknowledged = false;
        throw error;
      }),
    );
    this.#lastAcknowledged = acknowledged >= waitReplicas;
    if (this.#lastAcknowledged) return;
    // With no replica to acknowledge, refusing every login would turn one lost replica into an
    // outage; the write is kept (on the master only) and the degraded durability is reported.
    this.options.onUnreplicated?.(acknowledged);
    if ((await this.connectedReplicas()) < waitReplicas)
      this.#unreplicatedUntil = performance.now() + DEGRADED_MS;
  }

  /**
   * Whether the replicas have every write this process made and was told was kept: WAITs are on,
   * the last one was acknowledged, and none is being skipped. A replica that acknowledged a WAIT has
   * every write before it. Otherwise a logout may be on the master alone, and a read from a replica
   * could find the session it ended.
   */
  get replicasHaveEveryWrite(): boolean {
    return (
      this.options.waitReplicas > 0 && this.#lastAcknowledged && performance.now() >= this.#unreplicatedUntil
    );
  }

  /** Replicas the master has now (INFO replication); on an error, as many as wanted (keep waiting). */
  private async connectedReplicas(): Promise<number> {
    try {
      const info = await this.redis.info('replication');
      return Number(/^connected_slaves:(\d+)/m.exec(info)?.[1] ?? 0);
    } catch {
      return this.options.waitReplicas;
    }
  }
}
