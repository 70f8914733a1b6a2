// etcd's authentication against a real etcd: someone who reaches etcd before the cluster switches its
// authentication on (a local user on one machine, any container on the Compose network) must not keep
// a way in: users planted under our names are taken back, anything else stops the start.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { type EtcdServer, startEtcd } from '../src/etcd.ts';
import { EtcdError, ensureEtcdAuth, etcdToken } from '../src/etcd-auth.ts';
import { freePort } from '../src/ports.ts';

const ours = { root: 'our-root-password', patroni: 'our-patroni-password' };

async function gateway(url: string, route: string, body: unknown): Promise<{ error?: string }> {
  const response = await fetch(`${url}/v3/${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(3_000),
  });
  return (await response.json()) as { error?: string };
}

describe("etcd's authentication", () => {
  let dataDir: string | undefined;
  let etcd: EtcdServer | undefined;

  afterEach(async () => {
    await etcd?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  async function freshEtcd(): Promise<string> {
    dataDir = await mkdtemp(path.join(tmpdir(), 'twofold-etcd-auth-'));
    await chmod(dataDir, 0o755);
    etcd = await startEtcd({ dataDir, clientPort: await freePort(), peerPort: await freePort(), ref: false });
    return etcd.url;
  }

  test('is switched on with our users, and a second run changes nothing', async () => {
    const url = await freshEtcd();
    await ensureEtcdAuth(url, ours);
    await ensureEtcdAuth(url, ours);
    assert.ok(await etcdToken(url, 'root', ours.root));
    assert.ok(await etcdToken(url, 'patroni', ours.patroni));
    await assert.rejects(etcdToken(url, 'root', 'not-the-password'), EtcdError);
  });

  test("takes back a root planted before it: the planter's password no longer works", async () => {
    const url = await freshEtcd();
    // The attacker comes first: their own root, with a password they know.
    for (const [route, body] of [
      ['auth/user/add', { name: 'root', password: 'attacker-password' }],
      ['auth/role/add', { name: 'root' }],
      ['auth/user/grant', { user: 'root', role: 'root' }],
      ['auth/user/add', { name: 'patroni', password: 'attacker-password' }],
    ] as const) {
      assert.equal((await gateway(url, route, body)).error, undefined, route);
    }
    await ensureEtcdAuth(url, ours);
    await assert.rejects(etcdToken(url, 'root', 'attacker-password'), EtcdError);
    await assert.rejects(etcdToken(url, 'patroni', 'attacker-password'), EtcdError);
    assert.ok(await etcdToken(url, 'root', ours.root));
  });

  test('refuses to start on a user of its own that someone planted with the root role', async () => {
    const url = await freshEtcd();
    for (const [route, body] of [
      ['auth/role/add', { name: 'root' }],
      ['auth/user/add', { name: 'backdoor', password: 'attacker-password' }],
      ['auth/user/grant', { user: 'backdoor', role: 'root' }],
    ] as const) {
      assert.equal((await gateway(url, route, body)).error, undefined, route);
    }
    await assert.rejects(ensureEtcdAuth(url, ours), /users \["backdoor","patroni","root"\]/);
  });

  test("refuses to start when patroni's role was widened beyond Patroni's keys", async () => {
    const url = await freshEtcd();
    assert.equal((await gateway(url, 'auth/role/add', { name: 'patroni' })).error, undefined);
    const everything = {
      permType: 'READWRITE',
      key: Buffer.from('\0').toString('base64'),
      range_end: 'AA==',
    };
    assert.equal(
      (await gateway(url, 'auth/role/grant', { name: 'patroni', perm: everything })).error,
      undefined,
    );
    await assert.rejects(ensureEtcdAuth(url, ours), /patroni's permissions/);
  });
});
