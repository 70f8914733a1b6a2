import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { renderPostgresConfig, socketDirFits } from '../../src/postgres-config.ts';
import { renderRedisConfig } from '../../src/redis.ts';

describe('renderPostgresConfig', () => {
  test('loopback only, on the given port, with scram passwords', () => {
    const config = renderPostgresConfig({ port: 18100, socketDir: '/data/pg-1' });
    assert.match(config, /^listen_addresses = '127\.0\.0\.1'$/m);
    assert.match(config, /^port = 18100$/m);
    assert.match(config, /^unix_socket_directories = '\/data\/pg-1'$/m);
    assert.match(config, /^password_encryption = 'scram-sha-256'$/m);
    assert.match(config, /^fsync = on$/m);
    assert.match(config, /^log_parameter_max_length = 0$/m);
  });

  test('a test cluster may trade durability for speed', () => {
    const config = renderPostgresConfig({ port: 1, socketDir: '', durable: false });
    assert.match(config, /^fsync = off$/m);
    assert.match(config, /^unix_socket_directories = ''$/m);
  });

  test('socket paths longer than the kernel allows are detected', () => {
    assert.equal(socketDirFits('/tmp/x', 5432), true);
    assert.equal(socketDirFits(`/tmp/${'d'.repeat(100)}`, 5432), false);
  });
});

describe('renderRedisConfig', () => {
  test('loopback, protected, AOF every second, no RDB snapshots', () => {
    const config = renderRedisConfig({ port: 18110, dir: '/data/redis-1' });
    for (const line of [
      'bind 127.0.0.1',
      'port 18110',
      'protected-mode yes',
      'appendonly yes',
      'appendfsync everysec',
      'save ""',
      'dir "/data/redis-1"',
      'daemonize no',
    ]) {
      assert.ok(config.split('\n').includes(line), `has "${line}"`);
    }
  });
});
