import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, test } from 'node:test';
import { planMembers } from '../../src/members.ts';
import {
  allPorts,
  DEFAULT_PORT_BASE,
  derivePorts,
  freePort,
  isPortInUse,
  resolvePortBase,
} from '../../src/ports.ts';

describe('derivePorts', () => {
  test('the default base gives the documented map', () => {
    assert.deepEqual(derivePorts(DEFAULT_PORT_BASE), {
      base: 8080,
      lbA: 8080,
      lbB: 8081,
      auth: [8091, 8092, 8093],
      postgres: [8100, 8101],
      patroni: [8102, 8103],
      haproxy: { readWrite: 8105, readOnly: 8106, stats: 8107 },
      redis: [8110, 8111],
      sentinels: [8112, 8113, 8114],
      push: [8115, 8116],
      etcd: { client: 8120, peer: 8121 },
      mail: { smtp: 8125, http: 8126 },
      demo: 8127,
      monitoring: {
        prometheus: 8130,
        alertmanager: 8131,
        nodeExporter: 8132,
        redisExporter: 8133,
        postgresExporter: 8134,
        nginxExporters: [8135, 8136],
        nginxStatus: [8137, 8138],
      },
    });
  });

  test('another base moves every port with it', () => {
    const ports = derivePorts(18080, 2);
    assert.deepEqual(ports.auth, [18091, 18092]);
    assert.deepEqual(ports.postgres, [18100, 18101]);
    assert.deepEqual(ports.redis, [18110, 18111]);
    assert.deepEqual(ports.push, [18115, 18116]);
    assert.equal(ports.etcd.peer, 18121);
    assert.deepEqual(ports.mail, { smtp: 18125, http: 18126 });
    assert.equal(ports.demo, 18127);
  });

  test('no two members share a port, even with the most replicas', () => {
    const all = allPorts(derivePorts(20000, 9));
    assert.equal(new Set(all).size, all.length);
    assert.equal(all.length, 2 + 9 + 4 + 3 + 5 + 2 + 2 + 2 + 1 + 9);
    assert.equal(Math.max(...all), 20058);
  });

  test('every port stays below base+60, so test bases 60 apart never share one (test/support/cluster.ts)', () => {
    for (const base of [20000, 20060]) {
      const all = allPorts(derivePorts(base, 9));
      assert.ok(Math.min(...all) >= base && Math.max(...all) < base + 60);
    }
  });

  test('rejects bases and replica counts that do not fit', () => {
    assert.throws(() => derivePorts(80), RangeError);
    assert.throws(() => derivePorts(65500), RangeError);
    assert.throws(() => derivePorts(65478), RangeError);
    assert.doesNotThrow(() => derivePorts(65477));
    assert.throws(() => derivePorts(8080.5), RangeError);
    assert.throws(() => derivePorts(8080, 0), RangeError);
    assert.throws(() => derivePorts(8080, 10), RangeError);
  });
});

describe('resolvePortBase', () => {
  test('flag, then TWOFOLD_PORT_BASE, then 8080', () => {
    assert.equal(resolvePortBase('9000', { TWOFOLD_PORT_BASE: '7000' }), 9000);
    assert.equal(resolvePortBase(undefined, { TWOFOLD_PORT_BASE: '7000' }), 7000);
    assert.equal(resolvePortBase(undefined, {}), 8080);
    assert.equal(resolvePortBase(undefined, { TWOFOLD_PORT_BASE: '' }), 8080);
  });

  test('rejects what is not a number', () => {
    assert.throws(() => resolvePortBase('80a', {}), /must be a number/);
  });
});

describe('planMembers', () => {
  test('stable names in start order, each on its derived port', () => {
    const plan = planMembers(derivePorts(8080));
    assert.deepEqual(
      plan.map((member) => [member.name, member.kind, member.port]),
      [
        ['etcd', 'etcd', 8120],
        ['pg-1', 'postgres', 8100],
        ['pg-2', 'postgres', 8101],
        ['haproxy', 'haproxy', 8105],
        ['redis-1', 'redis', 8110],
        ['redis-2', 'redis', 8111],
        ['sentinel-1', 'sentinel', 8112],
        ['sentinel-2', 'sentinel', 8113],
        ['sentinel-3', 'sentinel', 8114],
        ['mail', 'mail', 8125],
        ['auth-1', 'auth', 8091],
        ['auth-2', 'auth', 8092],
        ['auth-3', 'auth', 8093],
        ['push-1', 'push', 8115],
        ['push-2', 'push', 8116],
        ['node-exporter', 'exporter', 8132],
        ['redis-exporter', 'exporter', 8133],
        ['postgres-exporter', 'exporter', 8134],
        ['alertmanager', 'alertmanager', 8131],
        ['prometheus', 'prometheus', 8130],
        ['demo', 'demo', 8127],
        ['lb-a', 'nginx', 8080],
        ['lb-b', 'nginx', 8081],
        ['nginx-exporter-a', 'exporter', 8135],
        ['nginx-exporter-b', 'exporter', 8136],
      ],
    );
  });
});

describe('freePort and isPortInUse', () => {
  test('a free port is free, and in use once something listens on it', async () => {
    const port = await freePort();
    assert.equal(await isPortInUse(port), false);
    const server = net.createServer().listen(port, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      assert.equal(await isPortInUse(port), true);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
