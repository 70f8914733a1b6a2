// When root starts the cluster, a data store runs as the system user its Debian package created
// (redis, etcd, haproxy), as PostgreSQL runs as `postgres`: a flaw in one of them, or a local
// user who gets its privileges, does not get root, nor the secrets of the other members.
import { lchown, readdir } from 'node:fs/promises';
import path from 'node:path';
import { canEnter, isRoot, systemUser } from './proc.ts';

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
