// Conditions the cluster waits for between members, beyond each member's own readiness:
// Patroni has elected a leader and a sync standby, the app database exists, the Redis replica
// has synced, the Sentinels see the whole Redis topology.
import { adminDatabaseUrl, type ClusterContext, waitForReplicaSync } from './cluster-launchers.ts';
import { clusterView, runningLeader, syncStandby } from './patroni-rest.ts';
import {
  ensureLoginRole,
  ensureMonitorRole,
  ensureRoleAndDatabase,
  PUSH_DATABASE_ROLE,
} from './postgres-admin.ts';
import { redisOperatorAuth } from './redis.ts';
import { sentinelAuth, waitForSentinelView } from './sentinel.ts';
import { FatalWaitError, waitFor } from './wait.ts';

/** Resolves with the leader and the sync standby once Patroni has both. */
export async function waitForPostgresLeader(ctx: ClusterContext, abort?: Promise<never>) {
  let found = { leader: '', syncStandby: '' };
  await waitFor(
    async () => {
      const members = await clusterView(ctx.ports.patroni);
      const leader = runningLeader(members);
      const standby = syncStandby(members);
      if (!leader) throw new Error('no running leader yet');
      if (!standby) throw new Error(`leader ${leader}, no sync standby yet`);
      found = { leader, syncStandby: standby };
      return true;
    },
    {
      description: 'Patroni to elect a leader and a sync standby',
      timeoutMs: 90_000,
      intervalMs: 300,
      abort,
    },
  );
  return found;
}

/** Role and database `twofold`, created through HAProxy's read-write port as the superuser. */
export function ensureAppDatabase(ctx: ClusterContext, abort?: Promise<never>): Promise<void> {
  return waitFor(
    async () => {
      try {
        await ensureRoleAndDatabase(adminDatabaseUrl(ctx), {
          role: 'twofold',
          password: ctx.secrets.databasePassword,
          database: 'twofold',
        });
        // Before the auth replicas migrate: migration 009 grants this role what the push replicas read.
        await ensureLoginRole(adminDatabaseUrl(ctx), PUSH_DATABASE_ROLE, ctx.secrets.pushDatabasePassword);
        await ensureMonitorRole(adminDatabaseUrl(ctx), ctx.secrets.monitorDatabasePassword);
        return true;
      } catch (error) {
        if ((error as { code?: string }).code === '28P01') {
          throw new FatalWaitError(
            'PostgreSQL rejected the superuser password kept in the secrets directory',
          );
        }
        throw error;
      }
    },
    {
      description: `role and database twofold through HAProxy (127.0.0.1:${ctx.ports.haproxy.readWrite})`,
      timeoutMs: 30_000,
      intervalMs: 300,
      abort,
    },
  );
}

export async function waitForSentinels(ctx: ClusterContext, abort?: Promise<never>): Promise<void> {
  const { sentinels, redis } = ctx.ports;
  await Promise.all(
    sentinels.map((port) =>
      waitForSentinelView(
        port,
        { sentinels: sentinels.length, replicas: redis.length - 1 },
        abort,
        sentinelAuth(ctx.secrets.redis),
      ),
    ),
  );
}

/** Every Redis member is the master or a replica in sync with it. */
export async function waitForRedisReplication(ctx: ClusterContext, abort?: Promise<never>): Promise<void> {
  await Promise.all(
    ctx.ports.redis.map((port) => waitForReplicaSync(port, redisOperatorAuth(ctx.secrets.redis), abort)),
  );
}
