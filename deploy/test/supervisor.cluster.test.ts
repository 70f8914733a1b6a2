// The supervisor's whole topology on spare ports, with a stand-in for the auth replicas and the
// push gateway (the real ones are tested by services/): etcd, PostgreSQL x2 under Patroni,
// HAProxy, Redis + replica, three Sentinels, three auth and two push replicas, the demo application
// (the real examples/whoami, behind forward auth at app1./app2.) and two nginx.
// One cluster for the whole file: each start costs.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { spareBase } from '../../test/support/cluster.ts';
import { type Cluster, type MemberStatus, startCluster } from '../src/cluster.ts';
import { memberProcesses } from '../src/members.ts';
import { runDir } from '../src/paths.ts';
import { postmasterPid } from '../src/patroni.ts';
import { isAlive } from '../src/proc.ts';
import { redisInfo } from '../src/redis-protocol.ts';
import { dataStoreCredentialTests } from './support/data-store-credentials.ts';
import { demoAppClusterTests } from './support/demo-app-cluster.ts';

const stubEntry = path.join(import.meta.dirname, 'fixtures', 'stub-auth-replica.ts');

async function get(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(5000) });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

async function query(url: string, sql: string) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000, query_timeout: 5000 });
  client.on('error', () => {});
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

/** Polls status() until `check` holds (failovers and rejoins take seconds). */
async function statusUntil(
  cluster: Cluster,
  check: (members: MemberStatus[]) => boolean,
  timeoutMs = 45_000,
) {
  const deadline = Date.now() + timeoutMs;
  let members = await cluster.status();
  while (!check(members)) {
    if (Date.now() > deadline) assert.fail(`status never matched: ${JSON.stringify(members, null, 1)}`);
    await sleep(300);
    members = await cluster.status();
  }
  return members;
}

/** A WebSocket-like upgrade of /push/socket through a load balancer. */
function upgrade(lbUrl: string) {
  return new Promise<{ response: http.IncomingMessage; socket: import('node:net').Socket }>(
    (resolve, reject) => {
      const request = http.request(new URL('push/socket', lbUrl), {
        headers: { connection: 'Upgrade', upgrade: 'websocket' },
        timeout: 5000,
      });
      request.once('upgrade', (response, socket) => resolve({ response, socket }));
      request.once('response', (response) => reject(new Error(`no upgrade: ${response.statusCode}`)));
      request.once('error', reject);
      request.end();
    },
  );
}

const byName = (members: MemberStatus[], name: string) => members.find((member) => member.name === name);

describe('the high-availability cluster started by startCluster', () => {
  let dataDir: string;
  let cluster: Cluster;
  const unexpectedExits: string[] = [];

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'twofold-cluster-test-'));
    await chmod(dataDir, 0o755);
    cluster = await startCluster({
      dataDir,
      portBase: await spareBase(),
      authEntry: stubEntry,
      pushEntry: stubEntry,
      detached: false, // an interrupted test run takes the cluster down with it
      onMemberExit: (member) => unexpectedExits.push(member),
    });
  });

  after(async () => {
    await cluster?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('every member runs and is healthy: one primary + sync standby, one Redis master + replica', async () => {
    const members = await cluster.status();
    assert.deepEqual(
      members.map((member) => member.name),
      [
        'etcd',
        'pg-1',
        'pg-2',
        'haproxy',
        'redis-1',
        'redis-2',
        'sentinel-1',
        'sentinel-2',
        'sentinel-3',
        'mail',
      ].concat(
        ['auth-1', 'auth-2', 'auth-3', 'push-1', 'push-2'],
        ['node-exporter', 'redis-exporter', 'postgres-exporter', 'alertmanager', 'prometheus'],
        ['demo', 'lb-a', 'lb-b', 'nginx-exporter-a', 'nginx-exporter-b'],
      ),
    );
    for (const member of members) {
      assert.equal(member.healthy, true, `${member.name}: ${member.detail}`);
      assert.ok(member.pid && isAlive(member.pid), `${member.name} has a live pid`);
    }
    const pgRoles = members.filter((m) => m.kind === 'postgres').map((m) => m.role);
    assert.deepEqual(pgRoles.sort(), ['primary', 'sync_standby']);
    assert.equal(byName(members, 'redis-1')?.role, 'master');
    assert.equal(byName(members, 'redis-2')?.role, 'replica');
    assert.equal(byName(members, 'lb-a')?.role, 'load-balancer');
    assert.equal(byName(members, 'sentinel-2')?.role, 'sentinel');
    assert.deepEqual(
      [byName(members, 'push-2')?.role, byName(members, 'push-2')?.port],
      ['push', cluster.ports.push[1]],
    );
    assert.equal(byName(members, 'haproxy')?.port, cluster.ports.haproxy.readWrite);
    const demo = byName(members, 'demo');
    assert.deepEqual([demo?.role, demo?.port], ['demo-app', cluster.ports.demo]);
    assert.match(String(demo?.detail), /http:\/\/app1\.twofold\.localhost:\d+\//);
  });

  test('aliases resolve to whoever holds the role', async () => {
    const members = await cluster.status();
    assert.equal(await cluster.resolve('pg-primary'), members.find((m) => m.role === 'primary')?.name);
    assert.equal(await cluster.resolve('redis-master'), 'redis-1');
    assert.equal(await cluster.resolve('auth-2'), 'auth-2');
    await assert.rejects(cluster.resolve('pg-9'), /no member "pg-9"/);
  });

  test('HAProxy: read-write reaches the primary as role twofold, read-only a replica', async () => {
    assert.equal(new URL(cluster.databaseUrl).port, String(cluster.ports.haproxy.readWrite));
    const [app] = await query(cluster.databaseUrl, 'SELECT current_user AS who, pg_is_in_recovery() AS ro');
    assert.deepEqual(app, { who: 'twofold', ro: false });
    const readOnly = new URL(cluster.adminDatabaseUrl);
    readOnly.port = String(cluster.ports.haproxy.readOnly);
    assert.deepEqual(await query(readOnly.toString(), 'SELECT pg_is_in_recovery() AS ro'), [{ ro: true }]);
    const [settings] = await query(cluster.adminDatabaseUrl, 'SHOW synchronous_standby_names');
    assert.match(String(settings?.synchronous_standby_names), /pg-[12]/);
  });

  test('the replicas get the HA settings: HAProxy, Sentinels, WAIT 1, drain delay', async () => {
    const { settings } = JSON.parse((await get(`${cluster.lbUrls[0]}echo`)).text);
    assert.equal(settings.databaseUrl, cluster.databaseUrl);
    assert.equal(settings.redisUrl, cluster.redisUrl);
    assert.equal(settings.redisSentinels, cluster.sentinels.map((s) => `${s.host}:${s.port}`).join(','));
    assert.equal(settings.redisMasterName, 'twofold');
    assert.equal(settings.redisKeyPrefix, 'twofold:');
    assert.equal(settings.redisUsername, 'auth');
    assert.equal(settings.redisPasswordFile, path.join(dataDir, 'secrets', 'redis-auth.password'));
    assert.equal(settings.sentinelPasswordFile, path.join(dataDir, 'secrets', 'sentinel-for-auth.password'));
    assert.equal(settings.redisWaitReplicas, '1');
    assert.equal(settings.drainDelayMs, '2000');
  });

  test('the push replicas get the same settings, but no secrets and no SMTP', async () => {
    const auth = JSON.parse((await get(`${cluster.authUrls[0]}echo`)).text);
    assert.ok(auth.settings.sessionSecretFile && auth.settings.smtpPort);
    assert.equal(auth.settings.cookieDomain, 'twofold.localhost', 'the auth replicas get the cookie domain');
    for (const [i, url] of cluster.pushUrls.entries()) {
      const push = JSON.parse((await get(`${url}echo`)).text);
      assert.equal(push.replica, `push-${i + 1}`);
      const {
        sessionSecretFile,
        smtpPort,
        databaseUrl,
        redisUsername,
        redisPasswordFile,
        sentinelPasswordFile,
        cookieDomain,
        ...shared
      } = auth.settings;
      assert.equal(new URL(databaseUrl).username, 'twofold');
      const {
        databaseUrl: pushDatabaseUrl,
        redisUsername: pushUser,
        redisPasswordFile: pushPasswordFile,
        sentinelPasswordFile: pushSentinelFile,
        ...pushShared
      } = push.settings;
      assert.equal(pushSentinelFile, path.join(dataDir, 'secrets', 'sentinel-for-push.password'));
      assert.equal(pushDatabaseUrl, cluster.pushDatabaseUrl);
      assert.equal(new URL(pushDatabaseUrl).username, 'twofold_push', 'a role of its own');
      assert.deepEqual(pushShared, shared);
      assert.equal(pushUser, 'push', 'its own Redis user, which can read no session');
      assert.equal(pushPasswordFile, path.join(dataDir, 'secrets', 'redis-push.password'));
    }
  });

  test('both load balancers reach the replicas and pass the proxy headers', async () => {
    for (const lbUrl of cluster.lbUrls) {
      const { status, headers, text } = await get(`${lbUrl}echo`, { 'x-request-id': 'spoofed' });
      assert.equal(status, 200);
      const echo = JSON.parse(text);
      assert.match(echo.replica, /^auth-[123]$/);
      assert.equal(echo.headers['x-forwarded-for'], '127.0.0.1');
      assert.equal(echo.headers.host, new URL(lbUrl).host);
      assert.match(echo.headers['x-request-id'], /^[0-9a-f]{32}$/, 'nginx replaces a client-sent request id');
      assert.equal(headers.get('x-request-id'), echo.headers['x-request-id']);
    }
    const seen = new Set<string>();
    for (let i = 0; i < 15; i += 1)
      seen.add(JSON.parse((await get(`${cluster.lbUrls[0]}echo`)).text).replica);
    assert.deepEqual([...seen].sort(), ['auth-1', 'auth-2', 'auth-3'], 'least_conn spreads requests');
  });

  test('/push/ passes a WebSocket upgrade through nginx to a push replica, both ways', async () => {
    const { response, socket } = await upgrade(cluster.lbUrls[1] as string);
    try {
      assert.equal(response.statusCode, 101);
      assert.match(String(response.headers['x-replica']), /^push-[12]$/);
      assert.match(String(response.headers['x-seen-connection']), /upgrade/i);
      const echoed = new Promise((resolve) => socket.once('data', (chunk) => resolve(chunk.toString())));
      socket.write('ping');
      assert.equal(await echoed, 'ping');
    } finally {
      socket.destroy();
    }
  });

  test('bodies over 64k are refused by nginx', async () => {
    const response = await fetch(`${cluster.lbUrls[0]}echo`, { method: 'POST', body: 'x'.repeat(70 * 1024) });
    assert.equal(response.status, 413);
  });

  test('a replica that dies is routed around, reported, not restarted; restart() brings it back', async () => {
    const victim = cluster.members.get('auth-1');
    assert.ok(victim);
    victim.handle.signal('SIGKILL');
    await victim.handle.exited;
    for (let i = 0; i < 6; i += 1) {
      const { status, text } = await get(`${cluster.lbUrls[i % 2]}echo`);
      assert.equal(status, 200);
      assert.notEqual(JSON.parse(text).replica, 'auth-1');
    }
    assert.deepEqual(unexpectedExits, ['auth-1']);
    const down = byName(await cluster.status(), 'auth-1');
    assert.deepEqual([down?.pid, down?.healthy, down?.role], [null, false, 'auth']);
    await cluster.restart('auth-1');
    assert.equal(byName(await cluster.status(), 'auth-1')?.healthy, true);
  });

  test('a killed push replica is skipped at once by both load balancers; restart() brings it back', async () => {
    await cluster.kill('push-1');
    const down = byName(await cluster.status(), 'push-1');
    assert.deepEqual([down?.pid, down?.healthy], [null, false]);
    for (let i = 0; i < 6; i += 1) {
      const { response, socket } = await upgrade(cluster.lbUrls[i % 2] as string);
      socket.destroy();
      assert.equal(response.headers['x-replica'], 'push-2');
    }
    await cluster.restart('push-1');
    assert.equal(byName(await cluster.status(), 'push-1')?.healthy, true);
  });

  test('kill() of the sync standby kills Patroni and its postmaster; restart() rejoins it', async () => {
    const standby = (await cluster.status()).find((m) => m.role === 'sync_standby')?.name as string;
    const node = cluster.members.get(standby);
    assert.ok(node);
    const postmaster = postmasterPid(dataDir, standby);
    assert.ok(postmaster, 'its postmaster runs');
    const pids = memberProcesses(node);
    assert.ok(pids.includes(node.handle.pid) && pids.includes(postmaster));
    await cluster.kill(standby);
    assert.deepEqual(
      pids.filter((pid) => isAlive(pid)),
      [],
    );
    const down = byName(await cluster.status(), standby);
    assert.deepEqual([down?.role, down?.healthy, down?.pid], ['stopped', false, null]);
    // Without its sync standby the primary still commits (synchronous_mode is not strict).
    let written = false;
    for (let attempt = 0; attempt < 20 && !written; attempt += 1) {
      written = await query(cluster.databaseUrl, 'CREATE TABLE IF NOT EXISTS kill_probe (id int)').then(
        () => true,
        () => sleep(500).then(() => false),
      );
    }
    assert.ok(written, 'the primary takes writes without its standby');
    await cluster.restart(standby);
    await statusUntil(cluster, (members) => byName(members, standby)?.role === 'sync_standby');
    assert.deepEqual(unexpectedExits, ['auth-1'], 'a kill on request is no surprise');
  });

  test('a gracefully stopped Redis replica restarts as a replica of the master', async () => {
    await cluster.kill('redis-2', { graceful: true });
    assert.equal(byName(await cluster.status(), 'redis-2')?.role, 'stopped');
    await cluster.restart('redis-2');
    const info = await redisInfo(cluster.ports.redis[1] as number, 'replication', {
      auth: { username: 'operator', password: cluster.operatorRedis.password as string },
    });
    assert.deepEqual(
      [info.role, info.master_port, info.master_link_status],
      ['slave', String(cluster.ports.redis[0]), 'up'],
    );
    await assert.rejects(cluster.kill('nobody'), /no member "nobody"/);
  });

  dataStoreCredentialTests(() => cluster);
  demoAppClusterTests(() => cluster);

  test('stop() leaves no process and no pid file behind', async () => {
    const pids = cluster.members.list().flatMap(memberProcesses);
    assert.ok(pids.length >= 20, `found ${pids.length} processes`);
    await cluster.stop();
    assert.deepEqual(
      pids.filter((pid) => isAlive(pid)),
      [],
    );
    assert.deepEqual(await readdir(runDir(dataDir)), []);
    assert.equal(postmasterPid(dataDir, 'pg-1'), undefined);
    assert.equal(postmasterPid(dataDir, 'pg-2'), undefined);
  });
});
