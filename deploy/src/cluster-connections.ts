// How the admin commands (users, bans) reach a running cluster's PostgreSQL and Redis: the same
// endpoints and credentials the auth replicas get, read from the data directory.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { RedisTarget } from '../../services/common/src/redis-client.ts';
import { secretsDir } from './paths.ts';
import { derivePorts, type PortMap } from './ports.ts';
import { ensureRedisSecrets, type RedisSecrets } from './secrets.ts';
import { liveSupervisor } from './supervisor-file.ts';

export const REDIS_MASTER_NAME = 'twofold';

export interface ClusterConnections {
  databaseUrl: string;
  /** The master through the Sentinels, as the operator. */
  redis: RedisTarget;
  authUrls: string[];
}

/** The Redis master through the Sentinels, as ACL user `operator` (every key and command). */
export const operatorRedisTarget = (ports: PortMap, secrets: RedisSecrets): RedisTarget => ({
  sentinels: ports.sentinels.map((port) => ({ host: '127.0.0.1', port })),
  masterName: REDIS_MASTER_NAME,
  username: 'operator',
  password: secrets.passwords.operator,
  sentinelUsername: 'admin',
  sentinelPassword: secrets.sentinelPasswords.admin,
});

export async function clusterConnections(dataDir: string): Promise<ClusterConnections> {
  const supervisor = await liveSupervisor(dataDir);
  if (!supervisor) throw new Error(`no cluster is running from ${dataDir}: start it with \`twofold up\``);
  const ports = derivePorts(supervisor.portBase);
  const password = (
    await readFile(path.join(secretsDir(dataDir), 'postgres-twofold.password'), 'utf8')
  ).trim();
  return {
    databaseUrl: `postgres://twofold:${encodeURIComponent(password)}@127.0.0.1:${ports.haproxy.readWrite}/twofold`,
    redis: operatorRedisTarget(ports, await ensureRedisSecrets(dataDir)),
    authUrls: ports.auth.map((port) => `http://127.0.0.1:${port}/`),
  };
}
