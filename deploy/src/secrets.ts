// Generated secrets: created once per data directory (random, mode 600) and reused on every
// later start, so a restarted cluster still opens its own database and decrypts its own data.
import { randomBytes } from 'node:crypto';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ensureDir } from './files.ts';
import { secretsDir } from './paths.ts';

/** URL-safe, so a password can sit in a connection URL unescaped. */
export const randomPassword = (bytes = 24): string => randomBytes(bytes).toString('base64url');

/** Returns the secret in `file`, generating it first if the file does not exist yet. */
export async function ensureSecret(file: string, generate: () => string): Promise<string> {
  // Traversable, not listable: a member's user reaches the files given to it (member-user.ts).
  await ensureDir(path.dirname(file), 0o711);
  try {
    // 'wx' fails when the file exists, so two starters can never overwrite each other's secret.
    await writeFile(file, generate(), { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  // Readable by its owner alone (root's, or the one member's it was given to: member-user.ts).
  if (((await stat(file)).mode & 0o077) !== 0) await chmod(file, 0o600);
  const secret = (await readFile(file, 'utf8')).trim();
  if (!secret) throw new Error(`secret file ${file} is empty; delete it to generate a new one`);
  return secret;
}

/**
 * Redis's ACL users, one per kind of client, so each holds only what it needs: the auth replicas
 * their keys, the push replicas the push queues, the Redis replicas replication, the Sentinels
 * failover, the operator (supervisor and CLI) everything, the exporter (`monitor`) INFO and the
 * like, in Redis and in the Sentinels alike. The default user is off.
 */
export const REDIS_USERS = ['auth', 'push', 'replication', 'sentinel', 'operator', 'monitor'] as const;
export type RedisUser = (typeof REDIS_USERS)[number];

export interface RedisSecrets {
  /** Password of each ACL user, and the file it is in (replicas read their own file). */
  passwords: Record<RedisUser, string>;
  files: Record<RedisUser, string>;
  /** The Sentinels' users: `admin` (the supervisor, the operator, the Sentinels among themselves)
   * and `client` (the replicas: who is master, and failover news; nothing that changes a Sentinel). */
  sentinelPasswords: { admin: string; client: string };
}

export interface ClusterSecrets {
  /** Files handed to the auth replicas (they read them themselves). */
  sessionSecretFile: string;
  encryptionKeysFile: string;
  /** Password of the `twofold` database role. */
  databasePassword: string;
  /** Password of the `twofold_push` database role (reads the phones' public keys, nothing more). */
  pushDatabasePassword: string;
  redis: RedisSecrets;
  /** User `operator`'s password on HAProxy's stats page and /metrics. */
  haproxyStatsPassword: string;
  /** Password of the `twofold_monitor` database role (pg_monitor: the exporter's statistics, no data). */
  monitorDatabasePassword: string;
  /** User `operator`'s passwords on Prometheus's and Alertmanager's HTTP APIs (and the files they are in). */
  prometheusPasswordFile: string;
  prometheusPassword: string;
  alertmanagerPassword: string;
}

export async function ensureClusterSecrets(dataDir: string): Promise<ClusterSecrets> {
  const dir = secretsDir(dataDir);
  const sessionSecretFile = path.join(dir, 'session-secret');
  const encryptionKeysFile = path.join(dir, 'encryption-keys');
  await ensureSecret(sessionSecretFile, () => randomBytes(48).toString('base64url'));
  // Key ring format: comma-separated `id:base64key`, the first one encrypts.
  await ensureSecret(encryptionKeysFile, () => `1:${randomBytes(32).toString('base64')}`);
  const databasePassword = await ensureDatabasePassword(dataDir);
  return {
    sessionSecretFile,
    encryptionKeysFile,
    databasePassword,
    pushDatabasePassword: await ensureSecret(path.join(dir, 'postgres-twofold-push.password'), () =>
      randomPassword(),
    ),
    redis: await ensureRedisSecrets(dataDir),
    haproxyStatsPassword: await ensureSecret(path.join(dir, 'haproxy-stats.password'), () =>
      randomPassword(),
    ),
    monitorDatabasePassword: await ensureSecret(path.join(dir, 'postgres-twofold-monitor.password'), () =>
      randomPassword(),
    ),
    prometheusPasswordFile: path.join(dir, 'prometheus-operator.password'),
    prometheusPassword: await ensureSecret(path.join(dir, 'prometheus-operator.password'), () =>
      randomPassword(),
    ),
    alertmanagerPassword: await ensureSecret(path.join(dir, 'alertmanager-operator.password'), () =>
      randomPassword(),
    ),
  };
}

export async function ensureRedisSecrets(dataDir: string): Promise<RedisSecrets> {
  const dir = secretsDir(dataDir);
  const files = Object.fromEntries(
    REDIS_USERS.map((user) => [user, path.join(dir, `redis-${user}.password`)]),
  ) as Record<RedisUser, string>;
  const passwords = {} as Record<RedisUser, string>;
  for (const user of REDIS_USERS) passwords[user] = await ensureSecret(files[user], () => randomPassword());
  const sentinelPasswords = {
    admin: await ensureSecret(path.join(dir, 'sentinel-admin.password'), () => randomPassword()),
    client: await ensureSecret(path.join(dir, 'sentinel-client.password'), () => randomPassword()),
  };
  return { passwords, files, sentinelPasswords };
}

/** Superuser password of one PostgreSQL member (set by initdb, needed for admin work). */
export const ensurePostgresSuperuserPassword = (dataDir: string, member: string): Promise<string> =>
  ensureSecret(path.join(secretsDir(dataDir), `${member}-superuser.password`), () => randomPassword());

/** Password of the `twofold` database role. */
export const ensureDatabasePassword = (dataDir: string): Promise<string> =>
  ensureSecret(path.join(secretsDir(dataDir), 'postgres-twofold.password'), () => randomPassword());

/**
 * Passwords of the Patroni cluster, shared by both nodes: a replica is a copy of the primary,
 * roles and all, so its superuser and replication passwords are the primary's.
 */
export async function ensurePatroniPasswords(dataDir: string) {
  const file = (name: string) => path.join(secretsDir(dataDir), name);
  return {
    superuser: await ensureSecret(file('postgres-superuser.password'), () => randomPassword()),
    replication: await ensureSecret(file('postgres-replication.password'), () => randomPassword()),
    restApi: await ensureSecret(file('patroni-rest-api.password'), () => randomPassword()),
    etcd: {
      root: await ensureSecret(file('etcd-root.password'), () => randomPassword()),
      patroni: await ensureSecret(file('etcd-patroni.password'), () => randomPassword()),
    },
  };
}
