// When root starts the cluster, each member runs as a system user: a data store as the one its
// Debian package created (redis, etcd, haproxy, www-data), as PostgreSQL runs as `postgres`; the
// Node members as users of their own (twofold-auth, twofold-push, twofold-mail). A flaw in one of
// them, or a local user who gets its privileges, does not get root, nor the other members' secrets.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmod, chown, lchown, readdir } from 'node:fs/promises';
import path from 'node:path';
import { canEnter, isRoot, type SystemUser, systemUser } from './proc.ts';

export type MemberUser = { uid: number; gid: number };

/**
 * The user `name` when we are root (undefined otherwise: the member runs as whoever we are), made
 * owner of everything in `dir` (files left by an earlier start as root included).
 */
export async function memberUser(
  name: string,
  dir: string,
  dataDir: string,
): Promise<MemberUser | undefined> {
  if (!isRoot()) return undefined;
  const user = systemUser(name);
  if (!user)
    throw new Error(`there is no \`${name}\` system user to run it as (is its Debian package installed?)`);
  if (!canEnter(dataDir, user))
    throw new Error(
      `the ${name} user cannot enter ${dataDir}: make every parent directory traversable (chmod o+x)`,
    );
  await lchown(dir, user.uid, user.gid);
  for (const entry of await readdir(dir, { recursive: true }))
    await lchown(path.join(dir, entry), user.uid, user.gid);
  return { uid: user.uid, gid: user.gid };
}

/** System user `name` with a group of its own, created when missing (useradd, from Debian's passwd). */
export function ensureSystemUser(name: string): SystemUser {
  const found = systemUser(name);
  if (found) return found;
  execFileSync(
    'useradd',
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
 * The user a Node member (auth-N, push-N, mail) runs as when root starts the cluster: a system user
 * of its own, when that user can read the code; else (a clone under /root) undefined, with the
 * reason: the member runs as root, as before.
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

/** Lets `user`'s group read these files (root keeps them; mode 640), and no one else. */
export async function shareWithGroup(files: string[], user: MemberUser): Promise<void> {
  for (const file of files) {
    await chown(file, 0, user.gid);
    await chmod(file, 0o640);
  }
}
