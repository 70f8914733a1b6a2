import assert from 'node:assert/strict';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { relocatedDataDir, resolveDefaultDataDir } from '../../src/default-data-dir.ts';
import { isRoot, systemUser } from '../../src/proc.ts';

describe('the default data directory', () => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'twofold-data-dir-'));
  chmodSync(scratch, 0o755); // mkdtemp makes it private; the cases choose their own parents' modes
  after(() => {
    rmSync(scratch, { recursive: true, force: true });
    for (const clone of ['open', 'private']) {
      rmSync(relocatedDataDir(path.join(scratch, clone, 'clone')), { recursive: true, force: true });
    }
  });

  test('is <repo>/.twofold where the postgres user can reach it', () => {
    const repo = path.join(scratch, 'open', 'clone');
    mkdirSync(repo, { recursive: true, mode: 0o755 });
    assert.equal(resolveDefaultDataDir(path.join(repo, '.twofold')), path.join(repo, '.twofold'));
  });

  test('moves to /var/lib/twofold, linked from the clone, when the clone is private (root, as under /root)', () => {
    assert.ok(
      isRoot(),
      'this test needs root: the supervisor runs PostgreSQL as postgres only when root starts it',
    );
    assert.ok(systemUser('postgres'), 'this test needs the postgres user (Debian package postgresql-15)');
    const parent = path.join(scratch, 'private');
    mkdirSync(parent, { mode: 0o700 });
    const repo = path.join(parent, 'clone');
    mkdirSync(repo, { mode: 0o755 });
    const link = path.join(repo, '.twofold');
    const dataDir = resolveDefaultDataDir(link);
    assert.equal(dataDir, relocatedDataDir(repo));
    assert.match(dataDir, /^\/var\/lib\/twofold\/clone-[0-9a-f]{10}$/);
    assert.ok(lstatSync(link).isSymbolicLink());
    assert.equal(resolveDefaultDataDir(link), dataDir, 'every later command finds the same place');
  });
});
