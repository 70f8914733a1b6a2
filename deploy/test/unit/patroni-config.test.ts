// The rendered patroni.yml, read back by the YAML parser Patroni itself uses (the system's
// python3-yaml, installed with Debian's patroni).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { FAILOVER_TIMING, renderPatroniConfig } from '../../src/patroni-config.ts';

const options = {
  name: 'pg-2',
  nodeDir: '/data/pg-2',
  postgresPort: 18101,
  restPort: 18103,
  etcdPort: 18120,
  passwords: {
    superuser: 'super"pw\\x',
    replication: 'repl-pw',
    restApi: 'rest-pw',
    etcd: { root: 'etcd-root-pw', patroni: 'etcd-patroni-pw' },
  },
  socketDir: '/data/pg-2',
};

// biome-ignore lint/suspicious/noExplicitAny: a parsed YAML document, checked field by field
function parseYaml(text: string): any {
  const script = 'import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)';
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', script], { input: text, encoding: 'utf8' }));
}

describe('renderPatroniConfig', () => {
  const config = parseYaml(renderPatroniConfig(options));

  test('one node of scope twofold, REST and PostgreSQL on loopback, etcd3 as DCS', () => {
    assert.equal(config.scope, 'twofold');
    assert.equal(config.name, 'pg-2');
    assert.equal(config.restapi.listen, '127.0.0.1:18103');
    assert.equal(config.restapi.connect_address, '127.0.0.1:18103');
    assert.equal(config.etcd3.hosts, '127.0.0.1:18120');
    assert.deepEqual([config.etcd3.username, config.etcd3.password], ['patroni', 'etcd-patroni-pw']);
    assert.ok(!renderPatroniConfig(options).includes('etcd-root-pw'), "etcd's root password stays out");
    assert.equal(config.postgresql.listen, '127.0.0.1:18101');
    assert.equal(config.postgresql.data_dir, '/data/pg-2/data');
    assert.equal(config.postgresql.bin_dir, '/usr/lib/postgresql/15/bin');
  });

  test('synchronous mode, fast failover timing, pg_rewind with wal_log_hints', () => {
    const dcs = config.bootstrap.dcs;
    assert.equal(dcs.synchronous_mode, true);
    assert.equal(dcs.ttl, FAILOVER_TIMING.ttl);
    assert.equal(dcs.loop_wait, FAILOVER_TIMING.loop_wait);
    assert.equal(dcs.retry_timeout, FAILOVER_TIMING.retry_timeout);
    assert.ok(
      dcs.ttl >= dcs.loop_wait + 2 * dcs.retry_timeout,
      'Patroni needs ttl >= loop_wait + 2 retry_timeout',
    );
    assert.ok(dcs.ttl <= 10);
    assert.ok(dcs.maximum_lag_on_failover > 0);
    assert.equal(dcs.postgresql.use_pg_rewind, true);
    assert.equal(dcs.postgresql.parameters.wal_log_hints, 'on');
  });

  test('passwords survive quoting; scram everywhere, replication only for its role', () => {
    const auth = config.postgresql.authentication;
    assert.deepEqual(auth.superuser, { username: 'postgres', password: 'super"pw\\x' });
    assert.deepEqual(auth.replication, { username: 'replicator', password: 'repl-pw' });
    assert.equal(config.restapi.authentication.password, 'rest-pw');
    assert.ok(config.postgresql.pg_hba.includes('host replication replicator 127.0.0.1/32 scram-sha-256'));
    assert.ok(config.postgresql.pg_hba.every((line: string) => line.endsWith('scram-sha-256')));
    assert.ok(config.bootstrap.initdb.some((option: object) => 'auth-host' in option));
  });

  test('never logs bind parameters', () => {
    assert.equal(config.postgresql.parameters.log_parameter_max_length, 0);
    assert.equal(config.postgresql.parameters.log_parameter_max_length_on_error, 0);
  });

  test('refuses a directory that would break the file', () => {
    assert.throws(() => renderPatroniConfig({ ...options, nodeDir: '/data/x\nname: evil' }), /unsupported/);
  });
});
