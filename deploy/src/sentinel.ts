// Redis Sentinels: start one, ask them who the master is, wait until they know each other.
import path from 'node:path';
import { binaries, requireBinary } from './binaries.ts';
import { ensureDir } from './files.ts';
import { memberUser, readMemberFile, writeMemberFile } from './member-user.ts';
import { memberDir, memberLogFile, memberPidFile } from './paths.ts';
import { isPortInUse } from './ports.ts';
import {
  type ChildOptions,
  type ProcessHandle,
  readyOrStop,
  startProcess,
  stopperOf,
} from './process-handle.ts';
import { type RedisAuth, redisCommand } from './redis-protocol.ts';
import type { RedisSecrets } from './secrets.ts';
import { readSentinelConfig, renderSentinelConfig, SENTINEL_MASTER_NAME } from './sentinel-config.ts';
import { waitFor } from './wait.ts';

export interface SentinelOptions extends ChildOptions {
  dataDir: string;
  /** 1-based: the member is sentinel-<index>. */
  index: number;
  port: number;
  masterPort: number;
  /** The cluster's Redis secrets; without them the Sentinel asks no password (tests). */
  acl?: RedisSecrets;
}

export interface SentinelServer {
  member: string;
  url: string;
  handle: ProcessHandle;
  stop(): Promise<void>;
}

export const sentinelConfigFile = (dataDir: string, member: string) =>
  path.join(memberDir(dataDir, member), 'sentinel.conf');

export async function startSentinel(options: SentinelOptions): Promise<SentinelServer> {
  const member = `sentinel-${options.index}`;
  const dir = memberDir(options.dataDir, member);
  await ensureDir(dir, 0o700);
  const configFile = sentinelConfigFile(options.dataDir, member);
  const previous = readSentinelConfig(await readMemberFile(configFile));
  const auth = options.acl && {
    ...options.acl.sentinelPasswords,
    redisSentinelPassword: options.acl.passwords.sentinel,
    monitor: options.acl.passwords.monitor,
  };
  const config = renderSentinelConfig({ ...options, dir, myid: previous.myid, auth });
  // Sentinel rewrites its own file: Debian's `redis` user (when root) owns the directory.
  const user = await memberUser('redis', dir, options.dataDir);
  await writeMemberFile(configFile, config, user);
  if (await isPortInUse(options.port)) throw new Error(`${member}: port ${options.port} is already in use`);
  const handle = await startProcess({
    member,
    command: requireBinary(binaries.redisSentinel),
    args: [configFile],
    cwd: dir,
    user,
    logFile: memberLogFile(options.dataDir, member),
    pidFile: memberPidFile(options.dataDir, member),
    stopSignal: 'SIGTERM',
    stopTimeoutMs: 10_000,
    ref: options.ref,
    detached: options.detached,
  });
  await readyOrStop(
    handle,
    waitFor(
      async () =>
        (await redisCommand(options.port, ['PING'], { auth: sentinelAuth(options.acl) })) === 'PONG',
      {
        description: `${member} to answer PING on 127.0.0.1:${options.port}`,
        timeoutMs: 15_000,
        abort: handle.failOnExit(),
      },
    ),
  );
  return {
    member,
    url: `redis://127.0.0.1:${options.port}`,
    handle,
    stop: stopperOf(handle),
  };
}

/** How the supervisor logs in to the Sentinels, as `admin` (undefined: they ask no password). */
export const sentinelAuth = (acl: RedisSecrets | undefined): RedisAuth | undefined =>
  acl && { username: 'admin', password: acl.sentinelPasswords.admin };

/** The master's port according to the first Sentinel that answers; undefined when none does. */
export async function askSentinelsForMaster(
  sentinelPorts: number[],
  auth?: RedisAuth,
): Promise<number | undefined> {
  for (const port of sentinelPorts) {
    try {
      const reply = await redisCommand(port, ['SENTINEL', 'get-master-addr-by-name', SENTINEL_MASTER_NAME], {
        auth,
      });
      if (Array.isArray(reply) && reply.length === 2) return Number(reply[1]);
    } catch {
      // that one is down: ask the next
    }
  }
  return undefined;
}

/** The master the Sentinels last wrote into their files (most votes), for a start from cold. */
export async function lastKnownMaster(dataDir: string, sentinels: string[], redisPorts: number[]) {
  const votes = new Map<number, number>();
  for (const member of sentinels) {
    const text = await readMemberFile(sentinelConfigFile(dataDir, member));
    const { masterPort } = readSentinelConfig(text);
    if (masterPort !== undefined && redisPorts.includes(masterPort))
      votes.set(masterPort, (votes.get(masterPort) ?? 0) + 1);
  }
  return [...votes.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
}

/** Until this Sentinel sees the master, the other Sentinels and the replicas: failover is possible. */
export function waitForSentinelView(
  port: number,
  { sentinels, replicas }: { sentinels: number; replicas: number },
  abort?: Promise<never>,
  auth?: RedisAuth,
): Promise<void> {
  return waitFor(
    async () => {
      const reply = await redisCommand(port, ['SENTINEL', 'master', SENTINEL_MASTER_NAME], { auth });
      const fields = new Map<string, string>();
      if (Array.isArray(reply))
        for (let i = 0; i + 1 < reply.length; i += 2) fields.set(String(reply[i]), String(reply[i + 1]));
      const others = Number(fields.get('num-other-sentinels'));
      const known = Number(fields.get('num-slaves'));
      if (others >= sentinels - 1 && known >= replicas && fields.get('flags') === 'master') return true;
      throw new Error(`it knows ${others} other sentinel(s) and ${known} replica(s)`);
    },
    { description: `the Sentinel on port ${port} to see the whole Redis topology`, timeoutMs: 30_000, abort },
  );
}
