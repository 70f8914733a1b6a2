import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { binaries, findBinary } from '../../src/binaries.ts';
import { installCommands, MissingPackagesError, missingPackages } from '../../src/install.ts';

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
    const missing = missingPackages();
    for (const binary of Object.values(binaries)) {
      assert.equal(findBinary(binary) === undefined, missing.includes(binary.debianPackage));
    }
  });
});
