// One auth replica (services/auth) as a child Node process, ready once GET /readyz says 200.
import path from 'node:path';
import { exists } from './files.ts';
import { memberLogFile, memberPidFile, repoRoot } from './paths.ts';
import { isPortInUse } from './ports.ts';
import {
  type ChildOptions,
  type ProcessHandle,
  readyOrStop,
  startProcess,
  stopperOf,
} from './process-handle.ts';
import type { ClusterSecrets } from './secrets.ts';
import { waitForHttp } from './wait.ts';

/** The replica's entry point; TWOFOLD_AUTH_ENTRY overrides it (a stand-in server for smoke tests). */
export const authEntry = (): string =>
  path.resolve(repoRoot, process.env.TWOFOLD_AUTH_ENTRY || 'services/auth/src/server.ts');

export interface AuthReplicaOptions extends ChildOptions {
  dataDir: string;
  /** 1-based: the member is auth-<index>. */
  index: number;
  port: number;
  databaseUrl: string;
  /** redis-1's URL: what a replica uses when it is given no Sentinels. */
  redisUrl: string;
  /** host:port of each Sentinel, and the master name they monitor. */
  redisSentinels?: string[];
  redisMasterName?: string;
  /** The mail sink on 127.0.0.1 that one-time codes are mailed to; email codes are off without it. */
  smtpPort?: number;
  secrets: Pick<ClusterSecrets, 'sessionSecretFile' | 'encryptionKeysFile'>;
  /** Entry point; default authEntry(). */
  entry?: string;
  /** Extra environment (e.g. TWOFOLD_LOG_LEVEL) layered over ours. */
  env?: NodeJS.ProcessEnv;
  startTimeoutMs?: number;
}

export interface AuthReplica {
  member: string;
  url: string;
  handle: ProcessHandle;
  logFile: string;
  stop(): Promise<void>;
}

/**
 * Our settings over the inherited environment. Other TWOFOLD_* variables (log level, argon2
 * cost...) pass through, but any inherited twin of ours (X or X_FILE) is dropped, so it can
 * neither conflict with nor override what the cluster decides.
 */
export function authReplicaEnv(options: AuthReplicaOptions): NodeJS.ProcessEnv {
  const ours: NodeJS.ProcessEnv = {
    TWOFOLD_HOST: '127.0.0.1',
    TWOFOLD_PORT: String(options.port),
    TWOFOLD_REPLICA_NAME: `auth-${options.index}`,
    TWOFOLD_DATABASE_URL: options.databaseUrl,
    TWOFOLD_REDIS_URL: options.redisUrl,
    ...(options.redisSentinels?.length
      ? {
          TWOFOLD_REDIS_SENTINELS: options.redisSentinels.join(','),
          TWOFOLD_REDIS_MASTER_NAME: options.redisMasterName ?? 'twofold',
          // A session write waits for the Redis replica, so a master failover loses no acknowledged login.
          TWOFOLD_REDIS_WAIT_REPLICAS: '1',
        }
      : {}),
    ...(options.smtpPort
      ? { TWOFOLD_SMTP_HOST: '127.0.0.1', TWOFOLD_SMTP_PORT: String(options.smtpPort) }
      : {}),
    // After SIGTERM readiness says 503 this long, so nginx stops sending before the listener closes.
    TWOFOLD_DRAIN_DELAY_MS: '2000',
    TWOFOLD_SESSION_SECRET_FILE: options.secrets.sessionSecretFile,
    TWOFOLD_ENCRYPTION_KEYS_FILE: options.secrets.encryptionKeysFile,
    // Only the local load balancers may set X-Forwarded-For.
    TWOFOLD_TRUST_PROXY: '127.0.0.1',
  };
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(ours)) {
    const base = key.replace(/_FILE$/, '');
    delete env[base];
    delete env[`${base}_FILE`];
  }
  return { ...env, ...ours, ...options.env };
}

export async function startAuthReplica(options: AuthReplicaOptions): Promise<AuthReplica> {
  const member = `auth-${options.index}`;
  const entry = options.entry ?? authEntry();
  if (!(await exists(entry)))
    throw new Error(`${member}: the auth replica's entry point ${entry} does not exist`);
  if (await isPortInUse(options.port)) throw new Error(`${member}: port ${options.port} is already in use`);
  const handle = await startProcess({
    member,
    command: process.execPath,
    args: ['--import', 'tsx', entry],
    cwd: repoRoot,
    env: authReplicaEnv(options),
    logFile: memberLogFile(options.dataDir, member),
    pidFile: memberPidFile(options.dataDir, member),
    stopSignal: 'SIGTERM', // the replica drains: readiness turns 503, in-flight requests finish
    stopTimeoutMs: 20_000,
    ref: options.ref,
    detached: options.detached,
  });
  const url = `http://127.0.0.1:${options.port}/`;
  await readyOrStop(
    handle,
    waitForHttp(`${url}readyz`, {
      description: `${member} to answer 200 on GET /readyz`,
      timeoutMs: options.startTimeoutMs ?? 60_000,
      abort: handle.failOnExit(),
    }),
  );
  return {
    member,
    url,
    handle,
    logFile: handle.logFile,
    stop: stopperOf(handle),
  };
}
