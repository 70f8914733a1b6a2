import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { instrumentRedis, MasterChangeTracker } from '../../src/redis-metrics.ts';

/** Just what instrumentRedis looks at: the events and the socket's far end. */
class FakeClient extends EventEmitter {
  stream: { remoteAddress?: string; remotePort?: number } | undefined;

  connectTo(remoteAddress: string, remotePort: number): void {
    this.stream = { remoteAddress, remotePort };
    this.emit('connect');
  }
}

const count = async (registry: Registry, name: string) =>
  Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(await registry.metrics())?.[1]);

describe('Redis metrics', () => {
  it('a master change is a connection to another address than the last one', () => {
    const tracker = new MasterChangeTracker();
    assert.equal(tracker.connectedTo('10.0.0.1:6379'), false, 'the first connection is no change');
    assert.equal(tracker.connectedTo('10.0.0.1:6379'), false);
    assert.equal(tracker.connectedTo('10.0.0.2:6379'), true);
    assert.equal(tracker.connectedTo('10.0.0.2:6380'), true);
  });

  it("counts reconnections, and a failover once for all of a replica's clients", async () => {
    const registry = new Registry();
    const main = new FakeClient();
    const subscriber = new FakeClient();
    for (const client of [main, subscriber]) instrumentRedis(client as unknown as Redis, registry);
    main.connectTo('127.0.0.1', 6379);
    subscriber.connectTo('127.0.0.1', 6379);
    assert.equal(await count(registry, 'twofold_redis_master_changes_total'), 0);
    main.emit('reconnecting', 100);
    subscriber.emit('reconnecting', 100);
    main.connectTo('127.0.0.1', 6380);
    subscriber.connectTo('127.0.0.1', 6380);
    main.emit('reconnecting', 100);
    main.connectTo('127.0.0.1', 6380);
    assert.equal(await count(registry, 'twofold_redis_reconnects_total'), 3);
    assert.equal(await count(registry, 'twofold_redis_master_changes_total'), 1);
    assert.doesNotMatch(await registry.metrics(), /6380|127\.0\.0\.1/, 'no address in the metrics');
  });
});
