// One PostgreSQL node under Patroni (Debian's), run as the `postgres` user. Patroni starts the
// postmaster in a session of its own, so "the node" is two process trees: stopping or killing
// it must reach both.
import { readFileSync } from 'node:fs';
import { chown, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { binaries, pgBinDir, requireBinary } from './binaries.ts';
import { ensureDir, exists } from './files.ts';
import { memberDir, memberLogFile, memberPidFile } from './paths.ts';
import { type PatroniPasswords, renderPatroniConfig } from './patroni-config.ts';
import { isPortInUse } from './ports.ts';
import { socketDirFits } from './postgres-config.ts';
import { assertTraversable } from './postgres-init.ts';
import { commandLine, descendants, isAlive, isRoot, killTree, processGroupOf, systemUser } from './proc.ts';
import { type ChildOptions, type ProcessHandle, startProcess } from './process-handle.ts';
import { waitFor, waitForHttp } from './wait.ts';

export interface PatroniNodeOptions extends ChildOptions {
  dataDir: string;
  /** 1-based: the member is pg-<index>. */
  index: number;
  postgresPort: number;
  restPort: number;
  etcdPort: number;
  passwords: PatroniPasswords;
  startTimeoutMs?: number;
}

export interface PatroniNode {
  member: string;
  url: string;
  restUrl: string;
  handle: ProcessHandle;
  stop(): Promise<void>;
  kill(): Promise<void>;
  pids(): number[];
}

/** The postmaster's pid from its pid file, when that process is alive (and still a postgres). */
export function postmasterPid(dataDir: string, member: string): number | undefined {
  try {
    const text = readFileSync(path.join(memberDir(dataDir, member), 'data', 'postmaster.pid'), 'utf8');
    const pid = Number(text.split('\n')[0]);
    const program = pid > 0 && isAlive(pid) ? commandLine(pid)?.[0] : undefined;
    return program && path.basename(program) === 'postgres' ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** SIGKILL to the postmaster's whole group (its backends), never to our own group. */
export function killPostmaster(pid: number): void {
  const group = processGroupOf(pid);
  try {
    if (group && group > 1 && group !== processGroupOf(process.pid)) process.kill(-group, 'SIGKILL');
    else killTree(pid);
  } catch {
    killTree(pid);
  }
}

const waitGone = (pids: number[], timeoutMs: number) =>
  waitFor(async () => pids.every((pid) => !isAlive(pid)), {
    description: `processes ${pids.join(', ')} to exit`,
    timeoutMs,
    intervalMs: 50,
  });

export async function startPatroniNode(options: PatroniNodeOptions): Promise<PatroniNode> {
  const { dataDir, index } = options;
  const member = `pg-${index}`;
  const nodeDir = memberDir(dataDir, member);
  const user = isRoot() ? systemUser('postgres') : undefined;
  if (isRoot() && !user)
    throw new Error('PostgreSQL cannot run as root and there is no `postgres` system user');
  const runAs = user && { uid: user.uid, gid: user.gid };

  await ensureDir(dataDir, 0o711);
  assertTraversable(dataDir, runAs);
  await ensureDir(nodeDir, 0o700);
  if (runAs) await chown(nodeDir, runAs.uid, runAs.gid);
  if (await exists(path.join(nodeDir, 'PG_VERSION'))) {
    throw new Error(
      `${nodeDir} holds a PostgreSQL of the single-node supervisor; move it away to start afresh`,
    );
  }
  const configFile = path.join(nodeDir, 'patroni.yml');
  const config = renderPatroniConfig({
    name: member,
    nodeDir,
    postgresPort: options.postgresPort,
    restPort: options.restPort,
    etcdPort: options.etcdPort,
    passwords: options.passwords,
    socketDir: socketDirFits(nodeDir, options.postgresPort) ? nodeDir : '',
  });
  await writeFile(configFile, config, { mode: 0o600 });
  if (runAs) await chown(configFile, runAs.uid, runAs.gid);
  for (const port of [options.postgresPort, options.restPort]) {
    if (await isPortInUse(port)) throw new Error(`${member}: port ${port} is already in use`);
  }

  const handle = await startProcess({
    member,
    command: requireBinary(binaries.patroni),
    args: [configFile],
    cwd: nodeDir,
    // A clean environment: no PYTHON* of another interpreter, no PATRONI_* overriding the file.
    env: { PATH: `${pgBinDir}:/usr/bin:/bin`, HOME: nodeDir, LANG: 'C.UTF-8', PYTHONUNBUFFERED: '1' },
    logFile: memberLogFile(dataDir, member),
    pidFile: memberPidFile(dataDir, member),
    user: runAs,
    stopSignal: 'SIGTERM', // Patroni stops PostgreSQL (fast shutdown), hands over the lock, exits
    stopTimeoutMs: 30_000,
    ref: options.ref,
    detached: options.detached,
  });
  const pids = () => {
    const postmaster = postmasterPid(dataDir, member);
    const trees = [handle.pid, ...descendants(handle.pid)];
    if (postmaster) trees.push(postmaster, ...descendants(postmaster));
    return [...new Set(trees)].filter((pid) => isAlive(pid));
  };
  const stop = async () => {
    await handle.stop();
    // Patroni was killed after its timeout, or died: its postmaster may still run on its own.
    const postmaster = postmasterPid(dataDir, member);
    if (!postmaster) return;
    handle.note(`postmaster ${postmaster} outlived Patroni, stopping it`);
    try {
      process.kill(postmaster, 'SIGINT'); // fast shutdown
    } catch {
      return; // gone meanwhile
    }
    await waitGone([postmaster], 15_000).catch(() => killPostmaster(postmaster));
  };
  const kill = async () => {
    const victims = pids();
    const postmaster = postmasterPid(dataDir, member);
    killTree(handle.pid);
    if (postmaster) killPostmaster(postmaster);
    await waitGone(victims, 10_000);
  };
  const restUrl = `http://127.0.0.1:${options.restPort}`;
  try {
    // 200 once PostgreSQL runs, whichever role it has (a fresh replica first clones the primary).
    await waitForHttp(`${restUrl}/health`, {
      description: `${member}: Patroni to report PostgreSQL running (GET ${restUrl}/health)`,
      timeoutMs: options.startTimeoutMs ?? 120_000,
      intervalMs: 300,
      abort: handle.failOnExit(),
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { member, url: `postgres://127.0.0.1:${options.postgresPort}`, restUrl, handle, stop, kill, pids };
}
