import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { binaries, findBinary, testBinaries } from '../../src/binaries.ts';
import {
  installCommands,
  MissingPackagesError,
  missingPackages,
  requiredBinaries,
} from '../../src/install.ts';

describe('install check', () => {
  test('the exact commands to run, with or without sudo', () => {
    assert.deepEqual(installCommands(['redis-server', 'nginx-light']), [
      'apt-get update',
      'env DEBIAN_FRONTEND=noninteractive apt-get install -y redis-server nginx-light',
    ]);
    assert.match(
      installCommands(['x'], true)[1] as string,
      /^sudo env DEBIAN_FRONTEND=noninteractive apt-get/,
    );
  });

  test('the error for a non-root user shows what to run', () => {
    const error = new MissingPackagesError(['postgresql-15']);
    assert.match(error.message, /missing Debian packages: postgresql-15/);
    assert.match(error.message, /sudo apt-get update/);
  });

  test('finds the binaries of the packages this machine has', () => {
    const missing = missingPackages('tests');
    for (const binary of [...Object.values(binaries), ...Object.values(testBinaries)]) {
      assert.equal(findBinary(binary) === undefined, missing.includes(binary.debianPackage));
    }
  });

  test('the tests need what the cluster runs, and Chromium (and promtool, of the prometheus package) besides', () => {
    const packagesOf = (purpose: 'cluster' | 'tests') =>
      new Set(requiredBinaries(purpose).map((binary) => binary.debianPackage));
    const cluster = packagesOf('cluster');
    const tests = packagesOf('tests');
    assert.deepEqual([...cluster].sort(), [
      'etcd-client',
      'etcd-server',
      'haproxy',
      'nginx-light',
      'patroni',
      'postgresql-15',
      'prometheus',
      'prometheus-alertmanager',
      'prometheus-nginx-exporter',
      'prometheus-node-exporter',
      'prometheus-postgres-exporter',
      'prometheus-redis-exporter',
      'redis-sentinel',
      'redis-server',
    ]);
    assert.deepEqual(
      [...tests].filter((name) => !cluster.has(name)),
      ['chromium'],
    );
  });
});
