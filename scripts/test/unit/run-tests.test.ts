import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isUnitTest, selectTestFiles, testRunnerArgs } from '../../test-selection.ts';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const FILES = [
  'deploy/test/unit/ports.test.ts',
  'services/auth/test/integration/login-flow.test.ts',
  'services/auth/test/unit/totp.test.ts',
  'test/e2e/failover.cluster.test.ts',
];

describe('npm test: selection and timeouts', () => {
  test('keeps files by path prefix or name part, and unit tests with --unit', () => {
    assert.deepEqual(selectTestFiles(FILES, { unit: false, filters: ['deploy/', 'failover'] }), {
      files: ['deploy/test/unit/ports.test.ts', 'test/e2e/failover.cluster.test.ts'],
      unmatched: [],
    });
    assert.deepEqual(selectTestFiles(FILES, { unit: true, filters: [] }).files, [
      'deploy/test/unit/ports.test.ts',
      'services/auth/test/unit/totp.test.ts',
    ]);
  });

  test('names every filter that keeps no file, even beside one that does', () => {
    assert.deepEqual(selectTestFiles(FILES, { unit: false, filters: ['failover', 'failovr'] }).unmatched, [
      'failovr',
    ]);
    assert.deepEqual(selectTestFiles(FILES, { unit: true, filters: ['failover'] }).unmatched, ['failover']);
  });

  test('a filter with no match fails the run before anything starts', () => {
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'scripts/run-tests.ts', '--unit', 'failovr'],
      {
        cwd: repo,
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    assert.equal(run.status, 1);
    assert.match(run.stderr, /no test file matches failovr among the unit tests/);
  });

  test('a test whose await never settles fails at the timeout instead of hanging', () => {
    const fixture = path.join(repo, 'scripts/test/fixtures/never-ends.ts');
    // Without NODE_TEST_CONTEXT, which makes a nested runner report to ours instead of running.
    const { NODE_TEST_CONTEXT: _, ...env } = process.env;
    const run = spawnSync(process.execPath, [...testRunnerArgs(1_000), fixture], {
      cwd: repo,
      env,
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(run.signal, null, 'the runner itself had to be killed: the timeout did not work');
    assert.equal(run.status, 1);
    assert.match(run.stdout, /test timed out after 1000ms/);
    assert.match(run.stdout, /# cancelled 1/);
  });
});

test('unit tests are the files under a unit folder (they run two at a time)', () => {
  assert.equal(isUnitTest(path.join('services', 'auth', 'test', 'unit', 'totp.test.ts')), true);
  assert.equal(isUnitTest(path.join('services', 'auth', 'test', 'integration', 'unit-ish.test.ts')), false);
  assert.equal(isUnitTest(path.join('test', 'e2e', 'failover.cluster.test.ts')), false);
});
