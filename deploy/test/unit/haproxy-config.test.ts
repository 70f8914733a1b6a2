// The rendered haproxy.cfg, checked by the real `haproxy -c` (Debian's haproxy, like the cluster).
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { checkHaproxyConfig } from '../../src/haproxy.ts';
import { renderHaproxyConfig } from '../../src/haproxy-config.ts';

const options = {
  readWritePort: 18105,
  readOnlyPort: 18106,
  statsPort: 18107,
  nodes: [
    { name: 'pg-1', postgresPort: 18100, restPort: 18102 },
    { name: 'pg-2', postgresPort: 18101, restPort: 18103 },
  ],
};

const section = (config: string, name: string) => {
  const start = config.indexOf(`listen ${name}`);
  const end = config.indexOf('\n\n', start);
  return config.slice(start, end < 0 ? undefined : end);
};

describe('renderHaproxyConfig', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'twofold-haproxy-test-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('haproxy -c accepts it', async () => {
    const file = path.join(dir, 'haproxy.cfg');
    await writeFile(file, renderHaproxyConfig(options));
    await checkHaproxyConfig(file);
  });

  test('haproxy -c explains what is wrong with a broken config', async () => {
    const file = path.join(dir, 'broken.cfg');
    await writeFile(file, `${renderHaproxyConfig(options)}\nlisten nope\n  no_such_keyword 1\n`);
    await assert.rejects(checkHaproxyConfig(file), /no_such_keyword/);
  });

  test('read-write goes to the primary, read-only to replicas, by Patroni health checks', () => {
    const config = renderHaproxyConfig(options);
    const rw = section(config, 'postgres_rw');
    assert.match(rw, /bind 127\.0\.0\.1:18105/);
    assert.match(rw, /option httpchk OPTIONS \/primary/);
    assert.match(rw, /http-check expect status 200/);
    assert.match(rw, /default-server inter 1s fall 2 rise 1 on-marked-down shutdown-sessions/);
    assert.match(rw, /server pg-1 127\.0\.0\.1:18100 check port 18102/);
    assert.match(rw, /server pg-2 127\.0\.0\.1:18101 check port 18103/);
    const ro = section(config, 'postgres_ro');
    assert.match(ro, /bind 127\.0\.0\.1:18106/);
    assert.match(ro, /option httpchk OPTIONS \/replica\?lag=1MB\n/);
    assert.match(config, /bind 127\.0\.0\.1:18107/);
    assert.match(config, /prometheus-exporter if \{ path \/metrics \}/);
  });

  test('binds loopback only and refuses odd node names', () => {
    const config = renderHaproxyConfig(options);
    for (const line of config.split('\n').filter((l) => /^\s*bind /.test(l))) {
      assert.match(line, /bind 127\.0\.0\.1:/);
    }
    assert.throws(() => renderHaproxyConfig({ ...options, nodes: [] }), /at least one/);
    const evil = { name: 'pg-1 backup', postgresPort: 1, restPort: 2 };
    assert.throws(() => renderHaproxyConfig({ ...options, nodes: [evil] }), /invalid/);
  });
});
