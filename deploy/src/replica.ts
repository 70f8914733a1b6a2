// A stateless replica of the cluster (auth-N, push-N): a Node service started with
// `node <entry>` (compiled) or `node --import tsx <entry>`, ready once GET /readyz says 200, stopped with SIGTERM (it drains).
import path from 'node:path';
import { exists } from './files.ts';
import { memberLogFile, memberPidFile, repoRoot } from './paths.ts';
import { isPortInUse } from './ports.ts';
import {
  type ChildOptions,
  type ProcessHandle,
  readyOnHttp,
  startProcess,
  stopperOf,
} from './process-handle.ts';

export type ReplicaKind = 'auth' | 'push';

/** Where each kind's server lives, and the variable that swaps it for a stand-in (smoke tests). */
const ENTRIES: Record<ReplicaKind, { variable: string; file: string }> = {
  auth: { variable: 'TWOFOLD_AUTH_ENTRY', file: 'services/auth/src/server.ts' },
  push: { variable: 'TWOFOLD_PUSH_ENTRY', file: 'services/push/src/server.ts' },
};

export const replicaEntry = (kind: ReplicaKind): string =>
  path.resolve(repoRoot, process.env[ENTRIES[kind].variable] || ENTRIES[kind].file);

export interface ReplicaOptions extends ChildOptions {
  dataDir: string;
  /** 1-based: the member is <kind>-<index>. */
  index: number;
  port: number;
  databaseUrl: string;
  /** redis-1's URL: what a replica uses when it is given no Sentinels. */
  redisUrl: string;
  /** host:port of each Sentinel, and the master name they monitor. */
  redisSentinels?: string[];
  redisMasterName?: string;
  /** Every key the replica writes starts with it (its Redis user may touch nothing else). */
  redisKeyPrefix?: string;
  /** The replica's Redis ACL user and the file holding its password; absent: no ACL (tests). */
  redisUser?: { username: string; passwordFile: string };
  /** The file holding the password of the Sentinels' user `client`. */
  sentinelPasswordFile?: string;
  /** Who it runs as (root starting the cluster: its own system user); default: as we run. */
  user?: { uid: number; gid: number };
  /** Entry point; default replicaEntry(kind). */
  entry?: string;
  /** Where node runs (tsx is found from there); default the clone. */
  cwd?: string;
  /** Extra environment (e.g. TWOFOLD_LOG_LEVEL) layered over ours. */
  env?: NodeJS.ProcessEnv;
  startTimeoutMs?: number;
}

export interface Replica {
  member: string;
  url: string;
  handle: ProcessHandle;
  logFile: string;
  stop(): Promise<void>;
}

/**
 * What every replica is told, plus `own` (what only this kind needs), over the inherited
 * environment. Other TWOFOLD_* variables (log level...) pass through, but any inherited twin of
 * ours (X or X_FILE) is dropped, so it can neither conflict with nor override what the cluster decides.
 */
export function replicaEnv(
  kind: ReplicaKind,
  options: ReplicaOptions,
  own: NodeJS.ProcessEnv = {},
): NodeJS.ProcessEnv {
  const ours: NodeJS.ProcessEnv = {
    TWOFOLD_HOST: '127.0.0.1',
    TWOFOLD_PORT: String(options.port),
    TWOFOLD_REPLICA_NAME: `${kind}-${options.index}`,
    TWOFOLD_DATABASE_URL: options.databaseUrl,
    TWOFOLD_REDIS_URL: options.redisUrl,
    ...(options.redisKeyPrefix ? { TWOFOLD_REDIS_KEY_PREFIX: options.redisKeyPrefix } : {}),
    ...(options.redisUser
      ? {
          TWOFOLD_REDIS_USERNAME: options.redisUser.username,
          TWOFOLD_REDIS_PASSWORD_FILE: options.redisUser.passwordFile,
        }
      : {}),
    ...(options.sentinelPasswordFile
      ? {
          TWOFOLD_REDIS_SENTINEL_USERNAME: 'client',
          TWOFOLD_REDIS_SENTINEL_PASSWORD_FILE: options.sentinelPasswordFile,
        }
      : {}),
    ...(options.redisSentinels?.length
      ? {
          TWOFOLD_REDIS_SENTINELS: options.redisSentinels.join(','),
          TWOFOLD_REDIS_MASTER_NAME: options.redisMasterName ?? 'twofold',
          // A write waits for the Redis replica, so a master failover loses nothing acknowledged.
          TWOFOLD_REDIS_WAIT_REPLICAS: '1',
        }
      : {}),
    // After SIGTERM readiness says 503 this long, so nginx stops sending before the listener closes.
    TWOFOLD_DRAIN_DELAY_MS: '2000',
    // Only the local load balancers may set X-Forwarded-For.
    TWOFOLD_TRUST_PROXY: '127.0.0.1',
    ...own,
  };
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(ours)) {
    const base = key.replace(/_FILE$/, '');
    delete env[base];
    delete env[`${base}_FILE`];
  }
  return { ...env, ...ours, ...options.env };
}

export async function startReplica(
  kind: ReplicaKind,
  options: ReplicaOptions,
  own: NodeJS.ProcessEnv = {},
): Promise<Replica> {
  const member = `${kind}-${options.index}`;
  const entry = options.entry ?? replicaEntry(kind);
  if (!(await exists(entry)))
    throw new Error(`${member}: the ${kind} replica's entry point ${entry} does not exist`);
  if (await isPortInUse(options.port)) throw new Error(`${member}: port ${options.port} is already in use`);
  const handle = await startProcess({
    member,
    command: process.execPath,
    // A compiled bundle (build-replicas.ts) runs as it is; a stand-in's TypeScript under tsx.
    args: entry.endsWith('.ts') ? ['--import', 'tsx', entry] : [entry],
    cwd: options.cwd ?? repoRoot,
    env: replicaEnv(kind, options, own),
    user: options.user,
    logFile: memberLogFile(options.dataDir, member),
    pidFile: memberPidFile(options.dataDir, member),
    stopSignal: 'SIGTERM', // the replica drains: readiness turns 503, in-flight requests finish
    stopTimeoutMs: 20_000,
    ref: options.ref,
    detached: options.detached,
  });
  const url = `http://127.0.0.1:${options.port}/`;
  const description = `${member} to answer 200 on GET /readyz`;
  // Generous: a stand-in under tsx compiles its TypeScript at its first start, which on a loaded
  // 2-core machine with every replica starting at once took over a minute; a crash still fails at once.
  await readyOnHttp(handle, `${url}readyz`, description, options.startTimeoutMs ?? 120_000);
  return { member, url, handle, logFile: handle.logFile, stop: stopperOf(handle) };
}
