// HAProxy in front of the PostgreSQL nodes, checked with `haproxy -c` before it runs in the
// foreground (-db) with its config in <dataDir>/haproxy.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { binaries, requireBinary } from './binaries.ts';
import { ensureDir } from './files.ts';
import { type HaproxyConfigOptions, renderHaproxyConfig } from './haproxy-config.ts';
import { type MemberUser, memberUser, writeMemberFile } from './member-user.ts';
import { memberDir, memberLogFile, memberPidFile } from './paths.ts';
import { isPortInUse } from './ports.ts';
import {
  type ChildOptions,
  type ProcessHandle,
  readyOnHttp,
  startProcess,
  stopperOf,
} from './process-handle.ts';

export interface HaproxyOptions extends ChildOptions, HaproxyConfigOptions {
  dataDir: string;
}

export interface HaproxyServer {
  member: string;
  url: string;
  statsUrl: string;
  handle: ProcessHandle;
  stop(): Promise<void>;
}

/** `haproxy -c`; throws with HAProxy's own explanation when the config is bad. */
export async function checkHaproxyConfig(configFile: string, user?: MemberUser): Promise<void> {
  try {
    await promisify(execFile)(requireBinary(binaries.haproxy), ['-c', '-f', configFile], {
      timeout: 15_000,
      // As the member's user: from its own directory (it may not enter ours, a clone under /root).
      cwd: path.dirname(configFile),
      uid: user?.uid,
      gid: user?.gid,
    });
  } catch (error) {
    const { stderr, stdout, message } = error as { stderr?: string; stdout?: string; message: string };
    throw new Error(`haproxy -c rejected ${configFile}:\n${(stderr || stdout || message).trim()}`);
  }
}

export async function startHaproxy(options: HaproxyOptions): Promise<HaproxyServer> {
  const member = 'haproxy';
  const dir = memberDir(options.dataDir, member);
  await ensureDir(dir, 0o700);
  const configFile = path.join(dir, 'haproxy.cfg');
  const user = await memberUser('haproxy', dir, options.dataDir);
  await writeMemberFile(configFile, renderHaproxyConfig(options), user);
  await checkHaproxyConfig(configFile, user);
  for (const port of [options.readWritePort, options.readOnlyPort, options.statsPort]) {
    if (await isPortInUse(port)) throw new Error(`${member}: port ${port} is already in use`);
  }
  const handle = await startProcess({
    member,
    command: requireBinary(binaries.haproxy),
    args: ['-db', '-f', configFile],
    user,
    cwd: dir,
    logFile: memberLogFile(options.dataDir, member),
    pidFile: memberPidFile(options.dataDir, member),
    stopSignal: 'SIGTERM',
    stopTimeoutMs: 10_000,
    ref: options.ref,
    detached: options.detached,
  });
  const statsUrl = `http://127.0.0.1:${options.statsPort}/stats`;
  const healthUrl = `http://127.0.0.1:${options.statsPort}/healthz`;
  await readyOnHttp(handle, healthUrl, `${member} to answer 200 on ${healthUrl}`, 15_000);
  return {
    member,
    url: `postgres://127.0.0.1:${options.readWritePort}`,
    statsUrl,
    handle,
    stop: stopperOf(handle),
  };
}
