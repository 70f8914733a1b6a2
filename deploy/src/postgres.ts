// One PostgreSQL server from Debian's binaries: initdb once (scram auth, generated superuser
// password), our postgresql.conf, start as the `postgres` user, wait for a real connection.
import { chown, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { binaries, requireBinary } from './binaries.ts';
import { ensureDir, exists } from './files.ts';
import { memberDir, memberLogFile, memberPidFile } from './paths.ts';
import { isPortInUse } from './ports.ts';
import { createDatabase, ensureRoleAndDatabase, postgresUrl, withClient } from './postgres-admin.ts';
import { renderPostgresConfig, socketDirFits } from './postgres-config.ts';
import { assertTraversable, initdb } from './postgres-init.ts';
import { isRoot, systemUser } from './proc.ts';
import { type ChildOptions, type ProcessHandle, startProcess } from './process-handle.ts';
import { ensureDatabasePassword, ensurePostgresSuperuserPassword } from './secrets.ts';
import { FatalWaitError, waitFor } from './wait.ts';

export interface PostgresOptions extends ChildOptions {
  /** Cluster data directory; the server's files go to <dataDir>/<member>. */
  dataDir: string;
  port: number;
  member?: string;
  /** Create role and database `twofold` (default true). */
  appDatabase?: boolean;
  /** Password of role `twofold`; default: the one kept in the data directory's secrets. */
  appPassword?: string;
  durable?: boolean;
  maxConnections?: number;
  startTimeoutMs?: number;
}

export interface PostgresServer {
  member: string;
  port: number;
  handle: ProcessHandle;
  logFile: string;
  /** Superuser URL (database `postgres`): can CREATE DATABASE. */
  adminUrl: string;
  /** URL of role `twofold` on database `twofold`, when appDatabase was true. */
  databaseUrl?: string;
  /** Creates a database owned by a new role of the same name; returns that role's URL. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startPostgres(options: PostgresOptions): Promise<PostgresServer> {
  const { dataDir, port, member = 'pg-1', appDatabase = true } = options;
  const pgData = memberDir(dataDir, member);
  const logFile = memberLogFile(dataDir, member);
  // PostgreSQL refuses to run as root; as anyone else it runs as that user.
  const user = isRoot() ? systemUser('postgres') : undefined;
  if (isRoot() && !user)
    throw new Error('PostgreSQL cannot run as root and there is no `postgres` system user');
  const runAs = user && { uid: user.uid, gid: user.gid };
  const superuserPassword = await ensurePostgresSuperuserPassword(dataDir, member);

  await ensureDir(dataDir, 0o711);
  assertTraversable(dataDir, runAs);
  await ensureDir(pgData, 0o700);
  if (runAs) await chown(pgData, runAs.uid, runAs.gid);

  if (!(await exists(path.join(pgData, 'PG_VERSION')))) {
    if ((await readdir(pgData)).length > 0) {
      throw new Error(`${pgData} is not empty but holds no PostgreSQL cluster; move it away to start afresh`);
    }
    await initdb({ member, pgData, dataDir, logFile, superuserPassword, runAs, detached: options.detached });
  }
  const socketDir = socketDirFits(pgData, port) ? pgData : '';
  const config = renderPostgresConfig({
    port,
    socketDir,
    durable: options.durable,
    maxConnections: options.maxConnections,
  });
  await writeFile(path.join(pgData, 'postgresql.conf'), config, { mode: 0o600 });
  if (runAs) await chown(path.join(pgData, 'postgresql.conf'), runAs.uid, runAs.gid);

  if (await isPortInUse(port)) throw new Error(`${member}: port ${port} is already in use`);
  const handle = await startProcess({
    member,
    command: requireBinary(binaries.postgres),
    args: ['-D', pgData],
    cwd: pgData,
    logFile,
    pidFile: memberPidFile(dataDir, member),
    user: runAs,
    stopSignal: 'SIGINT', // "fast" shutdown: SIGTERM would wait for every client to disconnect
    stopTimeoutMs: 30_000,
    ref: options.ref,
    detached: options.detached,
  });
  const adminUrl = postgresUrl({ user: 'postgres', password: superuserPassword, port, database: 'postgres' });
  try {
    await waitFor(() => canQuery(adminUrl, member), {
      description: `${member} to accept connections on 127.0.0.1:${port}`,
      timeoutMs: options.startTimeoutMs ?? 60_000,
      abort: handle.failOnExit(),
    });
    let databaseUrl: string | undefined;
    if (appDatabase) {
      const password = options.appPassword ?? (await ensureDatabasePassword(dataDir));
      await ensureRoleAndDatabase(adminUrl, { role: 'twofold', password, database: 'twofold' });
      databaseUrl = postgresUrl({ user: 'twofold', password, port, database: 'twofold' });
    }
    return {
      member,
      port,
      handle,
      logFile,
      adminUrl,
      databaseUrl,
      createDatabase: (name) => createDatabase(adminUrl, name),
      stop: async () => {
        await handle.stop();
      },
    };
  } catch (error) {
    await handle.stop();
    throw error;
  }
}

async function canQuery(adminUrl: string, member: string): Promise<boolean> {
  try {
    await withClient(adminUrl, (client) => client.query('SELECT 1'));
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === '28P01') {
      throw new FatalWaitError(`${member} rejected the superuser password kept in its secrets file`);
    }
    throw error;
  }
}
