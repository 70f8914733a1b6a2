// Sessions while the Redis master fails over: a read the master does not answer in time is answered
// by a replica, which has every acknowledged session write and end (each waits for it). Here the
// "master" is the test Redis behind a relay that is taken away, and the "replica" the same Redis
// reached directly, as a replica holds the same keys.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { createRedisClient, isRedisUnavailable } from '../../../common/src/redis-client.ts';
import { RedisSessionStore, SessionRecordSigner } from '../../src/lib/session-store.ts';
import { testConfig } from '../helpers/build-app.ts';
import { TcpProxy } from '../helpers/tcp-proxy.ts';

async function storeWithReplica(t: TestContext) {
  const config = await testConfig();
  const target = config.redis;
  if (!('url' in target)) throw new Error('the test Redis is reached by URL');
  const url = new URL(target.url);
  const relay = await TcpProxy.start({ host: url.hostname, port: Number(url.port) });
  const client = (redisUrl: string, name: string) => {
    const redis = createRedisClient({ target: { ...target, url: redisUrl }, name, commandTimeoutMs: 1_000 });
    t.after(() => redis.disconnect());
    return redis;
  };
  const master = client(relay.rewrite(target.url), 'replica-reads-master');
  const replica = client(target.url, 'replica-reads-replica');
  await Promise.all([master.connect(), replica.connect()]);
  t.after(() => relay.stop());
  const reads: string[] = [];
  const store = new RedisSessionStore(
    master,
    new SessionRecordSigner('replica-reads-test-secret-0123456789'),
    {
      idleSeconds: 600,
      absoluteSeconds: 3_600,
      waitReplicas: 0,
      waitTimeoutMs: 100,
      prefix: `${config.redisKeyPrefix}sess:`,
      replica,
      onReplicaRead: (result) => reads.push(result),
    },
  );
  const sessionKey = (id: string) => `${config.redisKeyPrefix}sess:${id}`;
  return { store, relay, reads, replica, sessionKey };
}

const session = () => ({
  userId: '00000000-0000-4000-8000-000000000003',
  username: 'u',
  state: 'authenticated',
  expiresAt: Date.now() + 600_000,
});

function write(store: RedisSessionStore, id: string, data: object): Promise<void> {
  return new Promise((resolve, reject) =>
    store.set(id, data, (error) => (error ? reject(error) : resolve())),
  );
}

describe('session reads while the Redis master is gone', () => {
  it('are answered by the replica, in well under the command timeout', async (t: TestContext) => {
    const { store, relay, reads } = await storeWithReplica(t);
    const id = `replica-read-${Date.now()}`;
    await write(store, id, session());
    assert.equal((await store.load(id))?.username, 'u');
    assert.deepEqual(reads, [], 'the replica is not asked while the master answers');

    await relay.stop();
    const started = Date.now();
    const loaded = await store.load(id);
    const elapsed = Date.now() - started;
    assert.equal(loaded?.username, 'u', 'the session, from the replica');
    assert.ok(elapsed < 900, `answered in ${elapsed} ms`);
    assert.deepEqual(reads, ['answered']);
  });

  it("answers 'unavailable', never 'no session', for a session the replica does not have", async (t: TestContext) => {
    const { store, relay, replica, sessionKey } = await storeWithReplica(t);
    // Written on the master alone (no replica acknowledged it): the replica has not got it.
    const id = `master-only-${Date.now()}`;
    await write(store, id, session());
    await replica.del(sessionKey(id));

    await relay.stop();
    await assert.rejects(store.load(id), (error: Error) => isRedisUnavailable(error));
  });

  it('still refuse a forged record, and a record past its deadline, from the replica', async (t: TestContext) => {
    const { store, relay, replica, sessionKey } = await storeWithReplica(t);
    const forged = `replica-forged-${Date.now()}`;
    const ended = `replica-ended-${Date.now()}`;
    await write(store, forged, session());
    await write(store, ended, { ...session(), expiresAt: Date.now() + 1_000 });
    // Whoever can write to Redis edits a record (its MAC no longer matches) and keeps another past
    // the deadline it carries.
    const record = (await replica.get(sessionKey(forged))) as string;
    await replica.set(sessionKey(forged), record.replace('"username":"u"', '"username":"admin"'), 'KEEPTTL');
    await replica.pexpire(sessionKey(ended), 600_000);
    await new Promise((resolve) => setTimeout(resolve, 1_100));

    await relay.stop();
    assert.equal(await store.load(forged), undefined, 'a forged record signs no one in');
    assert.equal(await store.load(ended), undefined, 'a record past its deadline signs no one in');
    assert.ok(await replica.exists(sessionKey(ended)), 'the replica did have the record');
  });
});
