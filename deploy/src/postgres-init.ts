// Creating a PostgreSQL cluster the first time, as the `postgres` user.
import { chown, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { binaries, requireBinary } from './binaries.ts';
import { canEnter } from './proc.ts';
import { runToCompletion } from './run-once.ts';

export interface InitdbOptions {
  member: string;
  pgData: string;
  dataDir: string;
  logFile: string;
  superuserPassword: string;
  runAs?: { uid: number; gid: number };
  detached?: boolean;
}

/** initdb with scram auth and the superuser password we generated (the data dir must be empty). */
export async function initdb({
  member,
  pgData,
  dataDir,
  logFile,
  superuserPassword,
  runAs,
  detached,
}: InitdbOptions) {
  // initdb reads the password from a file it must be able to open as `postgres`; removed right after.
  const pwfile = path.join(dataDir, `.${member}.initdb-pwfile`);
  await writeFile(pwfile, superuserPassword, { mode: 0o600 });
  try {
    if (runAs) await chown(pwfile, runAs.uid, runAs.gid);
    await runToCompletion({
      member,
      command: requireBinary(binaries.initdb),
      args: [
        `--pgdata=${pgData}`,
        '--username=postgres',
        `--pwfile=${pwfile}`,
        '--auth-local=scram-sha-256',
        '--auth-host=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C.UTF-8',
      ],
      cwd: dataDir,
      logFile,
      user: runAs,
      detached,
    });
  } finally {
    await rm(pwfile, { force: true });
  }
}

/** The server runs as `postgres`, who must be able to walk down to its data directory. */
export function assertTraversable(dir: string, runAs: { uid: number; gid: number } | undefined): void {
  if (runAs && !canEnter(dir, runAs)) {
    throw new Error(
      `the postgres user cannot enter ${dir}: make every parent directory traversable (chmod o+x) or choose another data directory`,
    );
  }
}
