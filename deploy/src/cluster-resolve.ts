// Aliases to members: `pg-primary` is whoever Patroni says holds the leader lock, `redis-master`
// whoever the Sentinels say is master (each member asked itself when no Sentinel answers).
import type { ClusterContext } from './cluster-launchers.ts';
import { checkMemberName, memberByPort } from './member-names.ts';
import { clusterView, runningLeader } from './patroni-rest.ts';
import { redisOperatorAuth } from './redis.ts';
import { type RedisAuth, redisInfo } from './redis-protocol.ts';
import { askSentinelsForMaster, sentinelAuth } from './sentinel.ts';

export async function resolveMember(name: string, ctx: ClusterContext): Promise<string> {
  checkMemberName(
    name,
    ctx.plan.map((member) => member.name),
  );
  if (name === 'pg-primary') {
    const leader = runningLeader(await clusterView(ctx.ports.patroni));
    if (!leader) throw new Error('no PostgreSQL primary right now (is a failover under way?)');
    return leader;
  }
  if (name === 'redis-master') {
    const redis = ctx.plan.filter((member) => member.kind === 'redis');
    const port =
      (await askSentinelsForMaster(ctx.ports.sentinels, sentinelAuth(ctx.secrets.redis))) ??
      (await lonelyMaster(ctx.ports.redis, redisOperatorAuth(ctx.secrets.redis)));
    if (port === undefined) throw new Error('no Sentinel answers and no single Redis master was found');
    return memberByPort(port, redis, 'Redis master');
  }
  return name;
}

/** The only Redis member that says it is a master, if exactly one does. */
async function lonelyMaster(ports: number[], auth?: RedisAuth): Promise<number | undefined> {
  const roles = await Promise.all(
    ports.map((port) =>
      redisInfo(port, 'replication', { auth }).then(
        (info) => info.role,
        () => undefined,
      ),
    ),
  );
  const masters = ports.filter((_, i) => roles[i] === 'master');
  return masters.length === 1 ? masters[0] : undefined;
}
