// The supervisor's whole topology on spare ports, with a stand-in auth replica (the real one is
// tested by services/): real PostgreSQL, Redis and two nginx in front of two replicas.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { spareBase } from '../../test/support/cluster.ts';
import { type Cluster, MemberStartError, startCluster } from '../src/cluster.ts';
import { memberLogFile, runDir } from '../src/paths.ts';
import { descendants, isAlive } from '../src/proc.ts';

const stubEntry = path.join(import.meta.dirname, 'fixtures', 'stub-auth-replica.ts');

async function get(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(5000) });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

describe('a local cluster started by startCluster', () => {
  let dataDir: string;
  let cluster: Cluster;
  let pids: number[] = [];
  const unexpectedExits: string[] = [];

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'twofold-cluster-test-'));
    await chmod(dataDir, 0o755);
    cluster = await startCluster({
      dataDir,
      portBase: await spareBase(),
      authEntry: stubEntry,
      detached: false, // an interrupted test run takes the cluster down with it
      onMemberExit: (member) => unexpectedExits.push(member),
    });
    pids = cluster.members.list().flatMap((member) => [member.handle.pid, ...descendants(member.handle.pid)]);
  });

  after(async () => {
    await cluster?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('both load balancers reach the replicas and pass the proxy headers', async () => {
    assert.equal(cluster.lbUrls.length, 2);
    for (const lbUrl of cluster.lbUrls) {
      const { status, headers, text } = await get(`${lbUrl}echo`, { 'x-request-id': 'spoofed' });
      assert.equal(status, 200);
      const echo = JSON.parse(text);
      assert.match(echo.replica, /^auth-[12]$/);
      assert.equal(echo.headers['x-real-ip'], '127.0.0.1');
      assert.equal(echo.headers['x-forwarded-for'], '127.0.0.1');
      assert.equal(echo.headers['x-forwarded-proto'], 'http');
      assert.equal(echo.headers.host, new URL(lbUrl).host);
      assert.match(echo.headers['x-request-id'], /^[0-9a-f]{32}$/, 'nginx replaces a client-sent request id');
      assert.equal(headers.get('x-request-id'), echo.headers['x-request-id']);
      assert.ok(echo.sessionSecretLength >= 32);
    }
  });

  test('least_conn spreads requests over both replicas', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 10; i += 1)
      seen.add(JSON.parse((await get(`${cluster.lbUrls[0]}echo`)).text).replica);
    assert.deepEqual([...seen].sort(), ['auth-1', 'auth-2']);
  });

  test('/protected/ greets the user auth_request vouched for, and refuses everyone else', async () => {
    const lb = cluster.lbUrls[1] as string;
    assert.equal((await get(`${lb}protected/page`)).status, 401);
    const ok = await get(`${lb}protected/page`, { cookie: 'stub_user=alice' });
    assert.equal(ok.status, 200);
    assert.equal(ok.text, 'hello alice\n');
    assert.equal((await get(`${lb}_twofold/auth-verify`, { cookie: 'stub_user=alice' })).status, 404);
  });

  test('bodies over 64k are refused by nginx', async () => {
    const response = await fetch(`${cluster.lbUrls[0]}echo`, { method: 'POST', body: 'x'.repeat(70 * 1024) });
    assert.equal(response.status, 413);
  });

  test('a killed replica is routed around', async () => {
    const victim = cluster.members.get('auth-1');
    assert.ok(victim);
    victim.handle.signal('SIGKILL');
    await victim.handle.exited;
    for (let i = 0; i < 6; i += 1) {
      const { status, text } = await get(`${cluster.lbUrls[i % 2]}echo`);
      assert.equal(status, 200);
      assert.equal(JSON.parse(text).replica, 'auth-2');
    }
    assert.deepEqual(unexpectedExits, ['auth-1']);
  });

  test('stop() leaves no process and no pid file behind', async () => {
    await cluster.stop();
    assert.ok(pids.length >= 6);
    assert.deepEqual(
      pids.filter((pid) => isAlive(pid)),
      [],
    );
    assert.deepEqual(await readdir(runDir(dataDir)), []);
  });
});

describe('startCluster when a member cannot start', () => {
  const cases = [
    { entry: 'crashing-auth-replica.ts', reason: /exited with code 3/, logged: /bad configuration/ },
    { entry: 'no-such-entry.ts', reason: /does not exist/, logged: undefined },
  ];
  for (const { entry, reason, logged } of cases) {
    test(`names the member and its log, and stops what had started (${entry})`, async () => {
      const dataDir = await mkdtemp(path.join(tmpdir(), 'twofold-cluster-fail-'));
      await chmod(dataDir, 0o755);
      try {
        const authEntry = path.join(import.meta.dirname, 'fixtures', entry);
        const error = await startCluster({
          dataDir,
          portBase: await spareBase(),
          authEntry,
          detached: false,
        }).then(
          () => assert.fail('should not start'),
          (caught: unknown) => caught,
        );
        assert.ok(error instanceof MemberStartError);
        assert.match(error.member, /^auth-[12]$/);
        assert.equal(error.logFile, memberLogFile(dataDir, error.member));
        assert.match(error.message, reason);
        assert.match(error.message, /See its log: /);
        if (logged) assert.match(await readFile(error.logFile, 'utf8'), logged);
        assert.deepEqual(await readdir(runDir(dataDir)), [], 'every started member was stopped');
      } finally {
        await rm(dataDir, { recursive: true, force: true });
      }
    });
  }
});
