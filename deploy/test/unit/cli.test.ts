import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { repoRoot } from '../../src/paths.ts';

const run = async (...args: string[]) => {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [
      path.join(repoRoot, 'bin/twofold.js'),
      ...args,
    ]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
    return { code, stdout, stderr };
  }
};

describe('twofold CLI', () => {
  test('--help lists the commands', async () => {
    const { code, stdout } = await run('--help');
    assert.equal(code, 0);
    assert.match(stdout, /Usage: twofold <command>/);
    for (const command of ['up', 'down', 'status', 'kill', 'restart', 'logs']) {
      assert.match(stdout, new RegExp(`^\\s+${command}\\s+\\S`, 'm'));
    }
  });

  test('kill and restart take exactly one member', async () => {
    for (const command of ['kill', 'restart', 'logs']) {
      const { code, stderr } = await run(command, '--data-dir', '/nonexistent/twofold-cli-test');
      assert.equal(code, 2, command);
      assert.match(stderr, /name exactly one member/);
    }
    assert.match((await run('kill', '--help')).stdout, /pg-primary\s+the current PostgreSQL primary/);
  });

  test('commands for a running cluster say so when there is none', async () => {
    const dataDir = '/nonexistent/twofold-cli-test';
    for (const args of [['status'], ['kill', 'pg-1'], ['restart', 'redis-master']]) {
      const { code, stderr } = await run(...args, '--data-dir', dataDir);
      assert.equal(code, 1, args.join(' '));
      assert.match(stderr, /no cluster is running from \/nonexistent\/twofold-cli-test/);
    }
    const down = await run('down', '--data-dir', dataDir);
    assert.equal(down.code, 0);
    assert.match(down.stdout, /no cluster was running/);
    const logs = await run('logs', 'pg-1', '--data-dir', dataDir);
    assert.equal(logs.code, 2);
    assert.match(logs.stderr, /no log for "pg-1"/);
  });

  test('up --help shows its options', async () => {
    const { code, stdout } = await run('up', '--help');
    assert.equal(code, 0);
    assert.match(stdout, /--port-base N/);
    assert.match(stdout, /--data-dir DIR/);
  });

  test('an unknown command or option is a usage error (exit 2)', async () => {
    assert.equal((await run('nope')).code, 2);
    const { code, stderr } = await run('up', '--no-such-option');
    assert.equal(code, 2);
    assert.match(stderr, /no-such-option/);
  });

  test('a bad port base is reported before anything starts', async () => {
    const { code, stderr } = await run(
      'up',
      '--port-base',
      '80',
      '--data-dir',
      '/nonexistent/twofold-cli-test',
    );
    assert.equal(code, 2);
    assert.match(stderr, /port base must be an integer/);
    assert.equal((await run('up', '--replicas', 'many')).code, 2);
  });

  test('apps and users groups: listed, documented, and bad input is a usage error before any database', async () => {
    assert.match((await run('--help')).stdout, /^\s+apps\s+\S/m);
    assert.match((await run('apps', '--help')).stdout, /twofold apps rotate-key <name>/);
    assert.match((await run('users', '--help')).stdout, /twofold users groups <username>/);
    const dataDir = '/nonexistent/twofold-cli-test';
    for (const args of [
      ['apps', 'add', 'Bad Name'],
      ['apps', 'add', 'ok', '--policy', 'three_factor'],
      ['apps', 'add', 'ok', '--host', 'app.example:8080'],
      ['apps', 'frobnicate'],
      ['users', 'groups', 'someone', '--add', 'Not A Group'],
    ]) {
      const { code, stderr } = await run(...args, '--data-dir', dataDir);
      assert.equal(code, 2, `${args.join(' ')}: ${stderr}`);
      assert.doesNotMatch(stderr, /no cluster is running/);
    }
  });
});
