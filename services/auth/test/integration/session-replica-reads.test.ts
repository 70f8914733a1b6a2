// Sessions while the Redis master fails over: a read the master does not answer in time is answered
// by a replica, if that replica has every session write and end this process was told was kept. A
// Redis master and a real replica of it, of this file's own; the master is reached through a relay
// that is taken away, as a killed master is.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { startRedis } from '../../../../deploy/src/redis.ts';
import { freePort } from '../../../../test/support/services.ts';
import { createRedisClient, isRedisUnavailable } from '../../../common/src/redis-client.ts';
import { RedisSessionStore, SessionRecordSigner } from '../../src/lib/session-store.ts';
import { buildTestApp, testConfig } from '../helpers/build-app.ts';
import { enrolledUser, expectStatus, sessionIdOf } from '../helpers/client.ts';
import { TcpProxy } from '../helpers/tcp-proxy.ts';

type Server = Awaited<ReturnType<typeof startRedis>>;
let dataDir: string;
let master: Server;
let replicaServer: Server;

before(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'twofold-replica-reads-'));
  master = await startRedis({
    dataDir,
    port: await freePort(),
    member: 'redis-1',
    ref: false,
    detached: false,
  });
  replicaServer = await startRedis({
    dataDir,
    port: await freePort(),
    member: 'redis-2',
    replicaOf: master.port,
    ref: false,
    detached: false,
  });
});
after(async () => {
  await Promise.allSettled([replicaServer?.stop(), master?.stop()]);
  await rm(dataDir, { recursive: true, force: true });
});

/** Until the replica follows the master and has all of it (after a start, or a test that detached it). */
async function replicaInSync(): Promise<void> {
  const probe = createRedisClient({ target: { url: replicaServer.url }, name: 'replica-reads-probe' });
  try {
    await probe.connect();
    for (let waited = 0; ; waited += 100) {
      const info = await probe.info('replication');
      if (/master_link_status:up/.test(info) && /master_sync_in_progress:0/.test(info)) return;
      assert.ok(waited < 20_000, `the replica is in sync with its master within 20 s:\n${info}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    probe.disconnect();
  }
}

async function storeWithReplica(t: TestContext) {
  await replicaInSync();
  const relay = await TcpProxy.start({ host: '127.0.0.1', port: master.port });
  t.after(() => relay.stop());
  const client = (url: string, name: string) => {
    const redis = createRedisClient({ target: { url }, name, commandTimeoutMs: 1_000 });
    t.after(() => redis.disconnect());
    return redis;
  };
  const viaRelay = client(relay.rewrite(master.url), 'replica-reads-master');
  const direct = client(master.url, 'replica-reads-direct');
  const replica = client(replicaServer.url, 'replica-reads-replica');
  await Promise.all([viaRelay.connect(), direct.connect(), replica.connect()]);
  const reads: string[] = [];
  const prefix = `replica-reads-${Date.now()}-${Math.random().toString(36).slice(2)}:`;
  const store = new RedisSessionStore(
    viaRelay,
    new SessionRecordSigner('replica-reads-test-secret-0123456789'),
    {
      idleSeconds: 600,
      absoluteSeconds: 3_600,
      waitReplicas: 1,
      // Under the client's 1 s command timeout, and long enough for a busy machine's replica.
      waitTimeoutMs: 800,
      prefix,
      replica,
      onReplicaRead: (result) => reads.push(result),
    },
  );
  return { store, relay, reads, direct, replica, sessionKey: (id: string) => `${prefix}${id}` };
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

function destroy(store: RedisSessionStore, id: string): Promise<void> {
  return new Promise((resolve, reject) => store.destroy(id, (error) => (error ? reject(error) : resolve())));
}

describe('session reads while the Redis master is gone', () => {
  it('are answered by the replica, within a second and a half', async (t: TestContext) => {
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
    assert.ok(elapsed < 1_500, `answered in ${elapsed} ms`);
    assert.deepEqual(reads, ['answered']);
  });

  it('still refuse a forged record, and a record past its deadline, from the replica', async (t: TestContext) => {
    const { store, relay, direct, replica, sessionKey } = await storeWithReplica(t);
    const forged = `replica-forged-${Date.now()}`;
    const ended = `replica-ended-${Date.now()}`;
    await write(store, forged, session());
    await write(store, ended, { ...session(), expiresAt: Date.now() + 1_000 });
    // Whoever can write to Redis edits a record (its MAC no longer matches) and keeps another past
    // the deadline it carries; the replica copies both.
    const record = (await direct.get(sessionKey(forged))) as string;
    await direct.set(sessionKey(forged), record.replace('"username":"u"', '"username":"admin"'), 'KEEPTTL');
    await direct.pexpire(sessionKey(ended), 600_000);
    assert.equal(Number(await direct.wait(1, 1_000)), 1, 'the replica has the edits');
    await new Promise((resolve) => setTimeout(resolve, 1_100));

    await relay.stop();
    assert.equal(await store.load(forged), undefined, 'a forged record signs no one in');
    assert.equal(await store.load(ended), undefined, 'a record past its deadline signs no one in');
    assert.ok(await replica.exists(sessionKey(ended)), 'the replica did have the record');
  });

  it("answer 'unavailable', never 'no session', for a session the replica does not have", async (t: TestContext) => {
    const { store, relay, direct, sessionKey } = await storeWithReplica(t);
    const id = `master-only-${Date.now()}`;
    await write(store, id, session());
    // On a replica that no longer follows (as one just promoted), the record is not there.
    const detached = createRedisClient({ target: { url: replicaServer.url }, name: 'replica-reads-detach' });
    t.after(async () => {
      await detached.replicaof('127.0.0.1', master.port);
      detached.disconnect();
    });
    await detached.connect();
    await detached.replicaof('NO', 'ONE');
    await detached.del(sessionKey(id));
    assert.equal(await direct.exists(sessionKey(id)), 1);

    await relay.stop();
    await assert.rejects(store.load(id), (error: Error) => isRedisUnavailable(error));
  });

  it('never give back a session whose logout the replica did not acknowledge', async (t: TestContext) => {
    const { store, relay, replica, sessionKey } = await storeWithReplica(t);
    const id = `logged-out-${Date.now()}`;
    await write(store, id, session());
    // The replica stops following the master (its link is cut), so it keeps the session...
    const cut = await TcpProxy.start({ host: '127.0.0.1', port: master.port });
    t.after(() => cut.stop());
    const follower = createRedisClient({ target: { url: replicaServer.url }, name: 'replica-reads-cut' });
    t.after(async () => {
      await follower.replicaof('127.0.0.1', master.port);
      follower.disconnect();
    });
    await follower.connect();
    await follower.replicaof('127.0.0.1', cut.port);
    for (let waited = 0; !/master_link_status:up/.test(await follower.info('replication')); waited += 100) {
      assert.ok(waited < 10_000, 'the replica follows the master through the relay');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await cut.stop();
    // ...while the user logs out: the WAIT is not acknowledged.
    await destroy(store, id);
    await store.replicateEnd();
    assert.equal(await replica.exists(sessionKey(id)), 1, 'the replica still has the ended session');

    await relay.stop();
    await assert.rejects(store.load(id), (error: Error) => isRedisUnavailable(error));
  });

  it('a logout, and "sign out everywhere else", wait for the replica before they are acknowledged', async (t: TestContext) => {
    await replicaInSync();
    const config = await testConfig({ redis: { url: master.url }, redisWaitReplicas: 1 });
    const app = await buildTestApp(t, config);
    const watcher = createRedisClient({ target: { url: master.url }, name: 'replica-reads-monitor' });
    t.after(() => watcher.disconnect());
    const monitor = await watcher.monitor();
    t.after(() => monitor.disconnect());
    const seen: string[][] = [];
    monitor.on('monitor', (_time: string, args: string[]) => seen.push(args.map((a) => a.toLowerCase())));
    const sessionKey = (id: string) => `${config.redisKeyPrefix}sess:${id}`.toLowerCase();
    const waitAfterDel = (key: string) => {
      const del = seen.findIndex((args) => args[0] === 'del' && args.includes(key));
      return del >= 0 && seen.slice(del + 1).some((args) => args[0] === 'wait');
    };

    const user = await enrolledUser(app);
    const loggedOut = sessionIdOf(user.client);
    expectStatus(await user.client.post('/api/v1/logout'), 204);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.ok(waitAfterDel(sessionKey(loggedOut)), "a WAIT after the logout's DEL");

    const other = await enrolledUser(app);
    const userId = (await app.users.findByUsernameKey(other.username.toLowerCase()))?.id as string;
    const elsewhere = sessionIdOf(other.client);
    seen.length = 0;
    await app.sessionStore.destroyForUser(userId, [elsewhere]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.ok(waitAfterDel(sessionKey(elsewhere)), 'a WAIT after ending the other sessions');
  });
});
