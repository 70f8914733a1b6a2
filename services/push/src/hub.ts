// The phones connected to this replica, by device, and the Redis channels that wake them.
import type { Redis } from 'ioredis';
import { pushKeys } from '../../common/src/push-queue.ts';
import { subscribeAfterEveryConnect } from '../../common/src/redis-client.ts';
import { CLOSE, type PhoneConnection } from './phone-connection.ts';

const RESWEEP_AFTER_MS = 1_000;
const PING_CHUNK = 250;

export class Hub {
  private readonly byDevice = new Map<string, Set<PhoneConnection>>();
  private readonly pending = new Set<PhoneConnection>();
  private pinger: NodeJS.Timeout | undefined;

  get size(): number {
    let count = 0;
    for (const set of this.byDevice.values()) count += set.size;
    return count;
  }

  /** Distinct devices with at least one proven connection. */
  get devices(): number {
    return this.byDevice.size;
  }

  /** Connections that have not proven a device key yet. */
  get handshaking(): number {
    return this.pending.size;
  }

  opened(connection: PhoneConnection): void {
    this.pending.add(connection);
  }

  ready(connection: PhoneConnection): void {
    this.pending.delete(connection);
    if (connection.socket.readyState !== connection.socket.OPEN) return;
    const id = connection.deviceId as string;
    const set = this.byDevice.get(id) ?? new Set();
    set.add(connection);
    this.byDevice.set(id, set);
  }

  closed(connection: PhoneConnection): void {
    this.pending.delete(connection);
    const id = connection.deviceId;
    if (!id) return;
    const set = this.byDevice.get(id);
    set?.delete(connection);
    if (set?.size === 0) this.byDevice.delete(id);
  }

  /** Listens for new messages and removed devices. Pub/sub can miss a message while Redis fails
   * over, so each (re)subscription is followed by a sweep of every connected phone's stream. */
  async listen(subscriber: Redis, prefix: string, onError: (error: unknown) => void): Promise<void> {
    const keys = pushKeys(prefix);
    subscriber.on('message', (channel: string, deviceId: string) => {
      if (channel === keys.notify) this.wake(deviceId);
      else if (channel === keys.revoke) this.revoke(deviceId);
    });
    // ioredis announces 'ready' before its resubscription is confirmed: a second sweep a moment
    // later covers a notification published in between.
    subscriber.on('ready', () => {
      this.sweep();
      setTimeout(() => this.sweep(), RESWEEP_AFTER_MS).unref();
    });
    await subscribeAfterEveryConnect(subscriber, [keys.notify, keys.revoke], onError);
  }

  wake(deviceId: string): void {
    for (const connection of this.byDevice.get(deviceId) ?? []) void connection.deliver();
  }

  revoke(deviceId: string): void {
    for (const connection of this.byDevice.get(deviceId) ?? [])
      connection.close(CLOSE.removed, 'device removed');
  }

  connectedDevices(): string[] {
    return [...this.byDevice.keys()];
  }

  sweep(): void {
    for (const set of this.byDevice.values()) for (const connection of set) void connection.deliver();
  }

  /** Pings every phone; one that did not answer the previous ping is gone (a dead NAT, a lost phone). */
  startPinging(intervalMs: number): void {
    this.pinger = setInterval(() => this.pingSweep(), intervalMs);
    this.pinger.unref();
  }

  /** In chunks, yielding between them: 10,000 pings in one go held the event loop for ~250 ms. */
  private pingSweep(): void {
    const connections = [...this.every()];
    const chunk = (from: number) => {
      for (const connection of connections.slice(from, from + PING_CHUNK)) {
        if (!connection.alive) {
          connection.socket.terminate();
          continue;
        }
        connection.alive = false;
        connection.socket.ping();
      }
      if (from + PING_CHUNK < connections.length) setImmediate(() => chunk(from + PING_CHUNK));
    };
    chunk(0);
  }

  closeAll(code: number, reason: string): void {
    if (this.pinger) clearInterval(this.pinger);
    for (const connection of this.every()) connection.close(code, reason);
  }

  private *every(): Iterable<PhoneConnection> {
    yield* this.pending;
    for (const set of this.byDevice.values()) yield* set;
  }
}
