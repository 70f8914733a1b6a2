// When root starts the cluster, each member runs as a system user: a data store as the one its
// Debian package created (redis, etcd, haproxy, www-data), as PostgreSQL runs as `postgres`; the
// Node members as users of their own (twofold-auth, twofold-push, twofold-mail, twofold-demo). A
// flaw in one of them, or a local user who gets its privileges, does not get root, nor the other
// members' secrets.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, chown, lchown, lstat, mkdir, open, readdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { canEnter, isRoot, type SystemUser, systemUser } from './proc.ts';

export type MemberUser = { uid: number; gid: number };

/** Debian's user `name` when we are root (undefined otherwise: the member runs as whoever we are). */
export function dataStoreUser(name: string, dataDir: string): MemberUser | undefined {
  if (!isRoot()) return undefined;
  const user = systemUser(name);
  if (!user)
    throw new Error(`there is no \`${name}\` system user to run it as (is its Debian package installed?)`);
  if (!canEnter(dataDir, user))
    throw new Error(
      `the ${name} user cannot enter ${dataDir}: make every parent directory traversable (chmod o+x)`,
    );
  return { uid: user.uid, gid: user.gid };
}

/** dataStoreUser, made owner of `dir` and what it holds: the member writes there. */
export async function memberUser(
  name: string,
  dir: string,
  dataDir: string,
): Promise<MemberUser | undefined> {
  const user = dataStoreUser(name, dataDir);
  if (user) await giveDirTo(dir, user);
  return user;
}

/**
 * Makes `user` the owner of `dir` and, when the directory was not theirs yet (left by a start as
 * root), of everything in it. A directory already theirs is not walked: its user could have
 * planted a symbolic link there for root to follow.
 */
async function giveDirTo(dir: string, user: MemberUser): Promise<void> {
  if ((await lstat(dir)).uid === user.uid) return;
  const walk = async (at: string) => {
    for (const entry of await readdir(at, { withFileTypes: true })) {
      const child = path.join(at, entry.name);
      await lchown(child, user.uid, user.gid);
      if (entry.isDirectory()) await walk(child); // a symbolic link is not a directory here
    }
  };
  await walk(dir);
  await lchown(dir, user.uid, user.gid);
}

/**
 * Writes a file root generates (a config) into a directory a member owns: to a new file opened
 * exclusively (never through a link the member planted), given to the member, renamed into place.
 */
export async function writeMemberFile(
  file: string,
  content: string,
  user: MemberUser | undefined,
): Promise<void> {
  const temporary = `${file}.${randomBytes(6).toString('hex')}.new`;
  const handle = await open(temporary, 'wx', 0o600);
  try {
    await handle.writeFile(content);
    if (user) await handle.chown(user.uid, user.gid);
  } finally {
    await handle.close();
  }
  await rename(temporary, file);
}

/** A file root reads from a member's directory, never through a symbolic link; '' when absent. */
export async function readMemberFile(file: string): Promise<string> {
  try {
    const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      return await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch {
    return '';
  }
}

/** System user `name` with a group of its own, created when missing (useradd, from Debian's passwd). */
export function ensureSystemUser(name: string): SystemUser {
  const found = systemUser(name);
  if (found) return found;
  execFileSync(
    '/usr/sbin/useradd',
    [
      '--system',
      '--user-group',
      '--no-create-home',
      '--home-dir',
      '/nonexistent',
      '--shell',
      '/usr/sbin/nologin',
      name,
    ],
    { stdio: 'pipe', timeout: 15_000 },
  );
  const created = systemUser(name);
  if (!created) throw new Error(`useradd created no \`${name}\` user`);
  return created;
}

/**
 * The user a Node member (auth-N, push-N, mail, demo) runs as when root starts the cluster: a
 * system user of its own, when that user can read the code; else (a clone under /root) undefined,
 * with the reason: the member runs as root, as before.
 */
export function nodeMemberUser(
  name: string,
  entry: string,
  dataDir: string,
): { user?: MemberUser; reason?: string } {
  if (!isRoot()) return {};
  const user = ensureSystemUser(name);
  const readable = spawnSync('test', ['-r', entry], { uid: user.uid, gid: user.gid }).status === 0;
  if (!readable) return { reason: `the ${name} user cannot read ${entry}` };
  if (!canEnter(dataDir, user)) return { reason: `the ${name} user cannot enter ${dataDir}` };
  return { user: { uid: user.uid, gid: user.gid } };
}

/**
 * Gives these files to `user` (mode 400): it reads them, no one else but root does. By owner, not
 * by group: a user made by hand may share its primary group (Debian's `nogroup`) with others.
 */
export async function giveTo(files: string[], user: MemberUser): Promise<void> {
  for (const file of files) {
    await chown(file, user.uid, user.gid);
    await chmod(file, 0o400);
  }
}

/** A directory inside a member's own (nginx's logs/): made when missing, never through a link. */
export async function ensureMemberSubdir(dir: string, user: MemberUser | undefined): Promise<void> {
  try {
    await mkdir(dir, { mode: 0o700 });
    if (user) await lchown(dir, user.uid, user.gid);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    if (!(await lstat(dir)).isDirectory()) throw new Error(`${dir} is not a directory (a link?)`);
  }
}
