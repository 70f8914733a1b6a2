// A clone under /root is unreadable to the Node members' users: they run from a copy of it in the
// data directory, made of hard links, without the clone's history.
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { repoRoot } from '../../src/paths.ts';
import { inStagedCode, stageCode } from '../../src/staged-code.ts';

describe('the staged copy of the clone', () => {
  let dataDir: string;
  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'twofold-staged-'));
  });
  after(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  test('holds what the replicas run, as hard links, and not the history', async () => {
    const root = await stageCode(dataDir);
    const entry = path.join(repoRoot, 'services', 'auth', 'src', 'server.ts');
    const staged = inStagedCode(dataDir, entry);
    assert.equal(path.dirname(path.dirname(path.dirname(path.dirname(staged)))), root);
    assert.equal((await stat(staged)).ino, (await stat(entry)).ino, 'a hard link, not a copy');
    await stat(path.join(root, 'node_modules', 'tsx', 'package.json'));
    await stat(path.join(root, 'package.json'));
    await assert.rejects(stat(path.join(root, '.git')), /ENOENT/);
    assert.equal((await stat(root)).mode & 0o777, 0o755);
    // Made again at the next start: a file deleted from the clone is gone from the copy too.
    await stageCode(dataDir);
    await stat(staged);
  });
});
