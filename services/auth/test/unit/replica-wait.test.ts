import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Redis } from 'ioredis';
import { ReplicaWait } from '../../src/lib/replica-wait.ts';

/** A Redis whose WAITs answer when the test says, with `replicas` acknowledging. */
function fakeRedis(replicas: number) {
  const pending: Array<() => void> = [];
  const redis = {
    waits: 0,
    wait: () => {
      redis.waits += 1;
      return new Promise<number>((resolve) => pending.push(() => resolve(replicas)));
    },
    info: async () => `# Replication\r\nconnected_slaves:${replicas}\r\n`,
  };
  const answerAll = async () => {
    while (pending.length > 0) {
      (pending.shift() as () => void)();
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  return { redis, answerAll, asRedis: redis as unknown as Redis };
}

test('with no replica, a burst of writes costs one WAIT, and the next writes none for a while', async () => {
  const { redis, answerAll, asRedis } = fakeRedis(0);
  const unreplicated: number[] = [];
  const wait = new ReplicaWait(asRedis, {
    waitReplicas: 1,
    waitTimeoutMs: 200,
    onUnreplicated: (n) => unreplicated.push(n),
  });
  const burst = Promise.all(Array.from({ length: 12 }, () => wait.afterWrite()));
  await answerAll();
  await burst;
  assert.equal(redis.waits, 1);
  assert.deepEqual(unreplicated, [0]);
  await wait.afterWrite();
  assert.equal(redis.waits, 1, 'degraded: no WAIT while the master has no replica');
});

test('with a replica, writes made while a WAIT is out share the next one; those before it share it', async () => {
  const { redis, answerAll, asRedis } = fakeRedis(1);
  const wait = new ReplicaWait(asRedis, { waitReplicas: 1, waitTimeoutMs: 200 });
  const first = wait.afterWrite();
  const later = [wait.afterWrite(), wait.afterWrite(), wait.afterWrite()];
  await answerAll();
  await Promise.all([first, ...later]);
  assert.equal(redis.waits, 2, 'one for the first write, one shared by the three made while it was out');
  await Promise.all([wait.afterWrite(), answerAll()]);
  assert.equal(redis.waits, 3);
  const none = new ReplicaWait(asRedis, { waitReplicas: 0, waitTimeoutMs: 200 });
  await none.afterWrite();
  assert.equal(redis.waits, 3, 'no WAIT when no replica is wanted');
});
