// Where the cluster lives when no --data-dir is given: <repo>/.twofold. PostgreSQL and Patroni run
// as the `postgres` user when root starts them, and must walk down to their directories; a clone
// under /root (mode 700) would refuse them. Then the data lives in a directory of the clone's own
// under /var/lib/twofold, and <repo>/.twofold is a link to it, so every command finds it again.

import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, realpathSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { defaultDataDir } from './paths.ts';
import { canEnter, isRoot, systemUser } from './proc.ts';

export const RELOCATED_ROOT = '/var/lib/twofold';

/** The directory a clone at `repo` keeps its data in when the postgres user cannot reach the clone. */
export function relocatedDataDir(repo: string): string {
  const id = createHash('sha256').update(repo).digest('hex').slice(0, 10);
  return path.join(RELOCATED_ROOT, `${path.basename(repo)}-${id}`);
}

export function resolveDefaultDataDir(link = defaultDataDir): string {
  try {
    if (lstatSync(link).isSymbolicLink()) return realpathSync(link);
    return link;
  } catch {
    // Not there yet: decide below.
  }
  const postgres = isRoot() ? systemUser('postgres') : undefined;
  const repo = path.dirname(link);
  if (!postgres || canEnter(repo, postgres)) return link;
  const target = relocatedDataDir(repo);
  // 0755 up to the data directory itself, which the supervisor creates 0700 inside.
  mkdirSync(target, { recursive: true, mode: 0o755 });
  symlinkSync(target, link);
  console.log(`twofold: the postgres user cannot enter ${repo}: data in ${target} (linked from ${link})`);
  return target;
}
