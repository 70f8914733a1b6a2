// A member owns its directory; root writes configs into it and, at an upgrade, gives it the files a
// start as root left there. A member that plants symbolic links must not make root write, read or
// chown anything outside (the review's finding: chown -R following a link to / gives the machine away).
import assert from 'node:assert/strict';
import { chmod, lstat, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { memberUser, readMemberFile, writeMemberFile } from '../../src/member-user.ts';
import { isRoot } from '../../src/proc.ts';

describe('files in a member-owned directory', () => {
  let dir: string;
  let victim: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'twofold-member-user-'));
    await chmod(dir, 0o755);
    victim = path.join(dir, 'victim');
    await writeFile(victim, 'root-only\n', { mode: 0o600 });
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('a config is never written through a planted link, and replaces it', async () => {
    const member = path.join(dir, 'written');
    await mkdir(member);
    const config = path.join(member, 'redis.conf');
    await symlink(victim, config);
    await writeMemberFile(config, 'port 1\n', undefined);
    assert.equal(await readFile(victim, 'utf8'), 'root-only\n');
    assert.ok((await lstat(config)).isFile(), 'the link was replaced by the file');
    assert.equal(await readFile(config, 'utf8'), 'port 1\n');
  });

  test('a config is never read through a planted link', async () => {
    const member = path.join(dir, 'read');
    await mkdir(member);
    await symlink(victim, path.join(member, 'sentinel.conf'));
    assert.equal(await readMemberFile(path.join(member, 'sentinel.conf')), '');
    assert.equal(await readMemberFile(path.join(member, 'missing.conf')), '');
  });

  test('giving a directory to its user never follows a link out of it', async () => {
    const member = path.join(dir, 'given');
    await mkdir(path.join(member, 'appendonly'), { recursive: true });
    await writeFile(path.join(member, 'appendonly', 'file.aof'), 'x');
    await symlink(dir, path.join(member, 'escape'));
    const user = await memberUser('nobody', member, dir);
    if (!isRoot()) {
      assert.equal(user, undefined, 'not root: the member runs as we do, nothing is given');
      return;
    }
    assert.ok(user);
    assert.equal((await stat(path.join(member, 'appendonly', 'file.aof'))).uid, user.uid);
    assert.equal((await lstat(path.join(member, 'escape'))).uid, user.uid, 'the link itself');
    assert.equal((await stat(victim)).uid, 0, 'not what it points to');
    assert.equal((await stat(dir)).uid, 0);
    // Now the user's: a second start does not walk it (a link planted since could point anywhere).
    await symlink('/etc', path.join(member, 'planted'));
    await memberUser('nobody', member, dir);
    assert.equal((await stat('/etc/passwd')).uid, 0);
  });
});
