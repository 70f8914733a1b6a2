// Issue 9 §1, the attack: a local user without the cluster's secrets talks to its data stores
// directly (rewrites a session record in Redis, asks Sentinel for the master, writes Patroni's
// keys into etcd, reads HAProxy's stats). Each is refused; each client's own user holds only
// what it needs. Registered inside a cluster test's describe (a cluster is costly to start).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import type { Cluster } from '../../src/cluster.ts';
import { etcdToken } from '../../src/etcd-auth.ts';
import { getResponse } from '../../src/http-json.ts';
import { type RedisAuth, redisCommand } from '../../src/redis-protocol.ts';

const secret = async (cluster: Cluster, name: string) =>
  (await readFile(path.join(cluster.dataDir, 'secrets', name), 'utf8')).trim();

const userAuth = async (cluster: Cluster, username: string): Promise<RedisAuth> => ({
  username,
  password: await secret(cluster, `redis-${username}.password`),
});

async function etcd(cluster: Cluster, route: string, body: unknown, token?: string) {
  const response = await fetch(`http://127.0.0.1:${cluster.ports.etcd.client}/${route}`, {
    method: 'POST',
    headers: token ? { authorization: token } : {},
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(3_000),
  });
  return { status: response.status, text: await response.text() };
}

const base64 = (text: string) => Buffer.from(text).toString('base64');

export function dataStoreCredentialTests(clusterOf: () => Cluster): void {
  test('Redis: no command without credentials; a wrong password is refused', async () => {
    const cluster = clusterOf();
    for (const port of cluster.ports.redis) {
      await assert.rejects(redisCommand(port, ['PING']), /NOAUTH/);
      const forged = ['SET', 'twofold:sess:forged', '{"userId":"victim","state":"authenticated"}'];
      await assert.rejects(redisCommand(port, forged), /NOAUTH/, 'the reviewer rewrote a session record');
      await assert.rejects(redisCommand(port, ['AUTH', 'default', '']), /WRONGPASS|disabled/);
      const wrong = { username: 'operator', password: 'guessed' };
      await assert.rejects(redisCommand(port, ['PING'], { auth: wrong }), /WRONGPASS/);
    }
  });

  test("Redis: each client's user holds only its own keys and commands", async () => {
    const cluster = clusterOf();
    const master = Number((await cluster.resolve('redis-master')).split('-')[1]) - 1;
    const port = cluster.ports.redis[master] as number;
    const as = async (user: string, args: string[]) =>
      redisCommand(port, args, { auth: await userAuth(cluster, user) });

    assert.equal(await as('auth', ['SET', 'twofold:probe', '1', 'EX', '60']), 'OK');
    await assert.rejects(as('auth', ['SET', 'elsewhere:probe', '1']), /NOPERM/);
    await assert.rejects(as('auth', ['CONFIG', 'SET', 'appendonly', 'no']), /NOPERM/);
    await assert.rejects(as('auth', ['FLUSHALL']), /NOPERM/);
    await assert.rejects(as('auth', ['KEYS', '*']), /NOPERM/);

    assert.deepEqual(await as('push', ['XRANGE', 'twofold:push:stream:probe', '-', '+']), []);
    await assert.rejects(as('push', ['GET', 'twofold:probe']), /NOPERM/, 'a push replica reads no session');
    // The push challenges decide logins: a push replica must not approve one (review finding).
    const approve = ['HSET', 'twofold:push:challenge:probe', 'status', 'approved'];
    await assert.rejects(as('push', approve), /NOPERM/);
    await assert.rejects(as('push', ['SCAN', '0']), /NOPERM/);
    await assert.rejects(as('push', ['XADD', 'twofold:push:stream:probe', '*', 'x', '1']), /NOPERM/);
    await assert.rejects(as('push', ['PUBLISH', 'twofold:push:notify', 'x']), /NOPERM/);

    await assert.rejects(as('sentinel', ['GET', 'twofold:probe']), /NOPERM/);
    await assert.rejects(as('replication', ['GET', 'twofold:probe']), /NOPERM/);
    assert.equal(await as('operator', ['GET', 'twofold:probe']), '1');
  });

  test("Sentinel: no command without credentials; the replicas' user only asks", async () => {
    const cluster = clusterOf();
    const client = { username: 'client', password: await secret(cluster, 'sentinel-client.password') };
    const admin = { username: 'admin', password: await secret(cluster, 'sentinel-admin.password') };
    const ask = ['SENTINEL', 'get-master-addr-by-name', 'twofold'];
    for (const port of cluster.ports.sentinels) {
      await assert.rejects(redisCommand(port, ask), /NOAUTH/);
      await assert.rejects(redisCommand(port, ask, { auth: { password: 'guessed' } }), /WRONGPASS|invalid/);
      for (const auth of [client, admin]) {
        const reply = await redisCommand(port, ask, { auth });
        assert.ok(Array.isArray(reply) && cluster.ports.redis.includes(Number(reply[1])));
      }
      // A replica's credentials cannot point the cluster at a Redis of its choosing (review finding).
      await assert.rejects(redisCommand(port, ['SENTINEL', 'REMOVE', 'twofold'], { auth: client }), /NOPERM/);
      const monitor = ['SENTINEL', 'MONITOR', 'evil', '127.0.0.1', '1', '1'];
      await assert.rejects(redisCommand(port, monitor, { auth: client }), /NOPERM/);
      const set = ['SENTINEL', 'SET', 'twofold', 'quorum', '1'];
      await assert.rejects(redisCommand(port, set, { auth: client }), /NOPERM/);
    }
  });

  test("etcd: no key without a user; Patroni's user writes only Patroni's keys; no v2 API", async () => {
    const cluster = clusterOf();
    const leaderKey = { key: base64('/service/twofold/leader'), value: base64('pg-attacker') };
    const anonymous = await etcd(cluster, 'v3/kv/put', leaderKey);
    assert.match(anonymous.text, /user name is empty/, "the reviewer wrote keys into Patroni's etcd");
    const read = await etcd(cluster, 'v3/kv/range', { key: base64('/service/') });
    assert.match(read.text, /user name is empty/);
    assert.equal((await getResponse(`http://127.0.0.1:${cluster.ports.etcd.client}/v2/keys/`)).status, 404);

    const url = `http://127.0.0.1:${cluster.ports.etcd.client}`;
    const patroni = await etcdToken(url, 'patroni', await secret(cluster, 'etcd-patroni.password'));
    assert.ok(patroni, 'authentication is on');
    const elsewhere = { key: base64('/elsewhere'), value: base64('x') };
    assert.match((await etcd(cluster, 'v3/kv/put', elsewhere, patroni)).text, /permission denied/);
    const own = await etcd(cluster, 'v3/kv/range', { key: base64('/service/twofold/leader') }, patroni);
    assert.match(own.text, /"kvs"/, "Patroni's user reads the leader key");
    await assert.rejects(etcdToken(url, 'root', 'guessed'), /refused/);
  });

  test('when root starts it, each data store runs as its own system user', async (t) => {
    if (process.geteuid?.() !== 0) return t.diagnostic('not root: every member runs as this user');
    const cluster = clusterOf();
    const expected: Record<string, string> = {
      'redis-1': 'redis',
      'redis-2': 'redis',
      'sentinel-1': 'redis',
      etcd: 'etcd',
      haproxy: 'haproxy',
      'lb-a': 'www-data',
      'auth-1': 'twofold-auth',
      'push-1': 'twofold-push',
      mail: 'twofold-mail',
      demo: 'twofold-demo',
      'pg-1': 'postgres',
    };
    for (const [member, user] of Object.entries(expected)) {
      const pid = cluster.members.get(member)?.handle.pid;
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
      const passwd = await readFile('/etc/passwd', 'utf8');
      const name = passwd
        .split('\n')
        .find((line) => line.split(':')[2] === String(uid))
        ?.split(':')[0];
      assert.equal(name, user, `${member} runs as ${user}`);
    }
  });

  test("each replica's user reads its own secrets and no other's", async (t) => {
    if (process.geteuid?.() !== 0) return t.diagnostic('not root: every member runs as this user');
    const cluster = clusterOf();
    const canRead = (user: string, file: string) =>
      spawnSync('runuser', ['-u', user, '--', 'test', '-r', path.join(cluster.dataDir, 'secrets', file)])
        .status === 0;
    const auth = ['session-secret', 'encryption-keys', 'redis-auth.password', 'sentinel-for-auth.password'];
    const push = ['redis-push.password', 'sentinel-for-push.password'];
    const neither = [
      'redis-operator.password',
      'etcd-root.password',
      'postgres-superuser.password',
      'sentinel-admin.password',
      'sentinel-client.password',
    ];
    for (const file of auth)
      assert.deepEqual([canRead('twofold-auth', file), canRead('twofold-push', file)], [true, false], file);
    for (const file of push)
      assert.deepEqual([canRead('twofold-auth', file), canRead('twofold-push', file)], [false, true], file);
    for (const file of neither)
      assert.deepEqual(
        [canRead('twofold-auth', file), canRead('twofold-push', file), canRead('nobody', file)],
        [false, false, false],
        file,
      );
    // The demo application (and the mail sink) need no secret at all.
    for (const file of [...auth, ...push, ...neither])
      assert.deepEqual([canRead('twofold-demo', file), canRead('twofold-mail', file)], [false, false], file);
  });

  test("HAProxy's stats page and metrics ask for the operator's password", async () => {
    const cluster = clusterOf();
    const stats = `http://127.0.0.1:${cluster.ports.haproxy.stats}`;
    assert.equal((await getResponse(`${stats}/stats`)).status, 401);
    assert.equal((await getResponse(`${stats}/metrics`)).status, 401);
    assert.equal((await getResponse(`${stats}/healthz`)).status, 200, 'liveness alone is open');
    const password = await secret(cluster, 'haproxy-stats.password');
    const authorization = `Basic ${Buffer.from(`operator:${password}`).toString('base64')}`;
    assert.equal((await getResponse(`${stats}/stats`, 2000, { authorization })).status, 200);
    assert.equal((await getResponse(`${stats}/metrics`, 2000, { authorization })).status, 200);
  });
}
