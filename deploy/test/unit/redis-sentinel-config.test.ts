import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { etcdArgs } from '../../src/etcd.ts';
import { renderRedisConfig } from '../../src/redis.ts';
import {
  DOWN_AFTER_MS,
  FAILOVER_TIMEOUT_MS,
  readSentinelConfig,
  renderSentinelConfig,
} from '../../src/sentinel-config.ts';

const lines = (text: string) => text.split('\n');

describe('renderRedisConfig for replication', () => {
  test('a master has no replicaof line; a replica follows the given master, read-only', () => {
    assert.ok(!renderRedisConfig({ port: 18110, dir: '/d' }).includes('replicaof'));
    const replica = lines(renderRedisConfig({ port: 18111, dir: '/d', replicaOf: 18110 }));
    assert.ok(replica.includes('replicaof 127.0.0.1 18110'));
    assert.ok(replica.includes('replica-read-only yes'));
    assert.ok(replica.includes('repl-diskless-sync-delay 0'));
  });
});

describe('renderSentinelConfig', () => {
  const myid = 'a'.repeat(40);
  const config = renderSentinelConfig({ port: 18112, dir: '/data/sentinel-1', masterPort: 18110, myid });

  test('monitors master "twofold" with quorum 2 and fast failure detection', () => {
    const all = lines(config);
    for (const line of [
      'bind 127.0.0.1',
      'port 18112',
      'dir "/data/sentinel-1"',
      'sentinel monitor twofold 127.0.0.1 18110 2',
      `sentinel down-after-milliseconds twofold ${DOWN_AFTER_MS}`,
      `sentinel failover-timeout twofold ${FAILOVER_TIMEOUT_MS}`,
      `sentinel myid ${myid}`,
    ]) {
      assert.ok(all.includes(line), `has "${line}"`);
    }
    assert.ok(DOWN_AFTER_MS >= 1000 && DOWN_AFTER_MS <= 2000);
    assert.ok(FAILOVER_TIMEOUT_MS <= 10_000);
  });

  test('reads back the id and the master a Sentinel wrote into its file', () => {
    const rewritten = `${config.replace('127.0.0.1 18110 2', '127.0.0.1 18111 2')}sentinel known-replica twofold 127.0.0.1 18110\n`;
    assert.deepEqual(readSentinelConfig(rewritten), { myid, masterPort: 18111 });
    assert.deepEqual(readSentinelConfig(''), { myid: undefined, masterPort: undefined });
  });

  test('a fresh Sentinel gets no myid line and picks its own', () => {
    assert.doesNotMatch(renderSentinelConfig({ port: 1, dir: '/d', masterPort: 2 }), /myid/);
  });
});

describe('etcdArgs', () => {
  test('single node on loopback, no v2 API (its authentication would stay off), history compacted', () => {
    const args = etcdArgs({ dir: '/data/etcd', clientPort: 18120, peerPort: 18121 });
    assert.ok(args.includes('--listen-client-urls=http://127.0.0.1:18120'));
    assert.ok(args.includes('--initial-cluster=etcd=http://127.0.0.1:18121'));
    assert.ok(args.includes('--enable-v2=false'));
    assert.ok(args.includes('--data-dir=/data/etcd'));
    assert.ok(args.some((arg) => arg.startsWith('--auto-compaction-retention=')));
  });
});
