// How to start each member of the cluster, by name: used for the first start and again by
// `restart`. A launcher resolves once its member is ready for the next one.
import { availableParallelism } from 'node:os';
import { authEntry, startAuthReplica } from './auth-replica.ts';
import { runnableEntry } from './build-replicas.ts';
import { DEMO_APP_ENTRY, startDemoApp } from './demo-app.ts';
import { startEtcd } from './etcd.ts';
import { startHaproxy } from './haproxy.ts';
import { MAIL_SINK_ENTRY, startMailSinkProcess } from './mailsink.ts';
import type { MemberPlan, RunningMember } from './members.ts';
import { monitoringLaunchers } from './monitoring.ts';
import { startNginx } from './nginx.ts';
import { memberDir } from './paths.ts';
import { startPatroniNode } from './patroni.ts';
import type { PatroniPasswords } from './patroni-config.ts';
import type { PortMap } from './ports.ts';
import { PUSH_DATABASE_ROLE, postgresUrl } from './postgres-admin.ts';
import { pushEntry, startPushReplica } from './push-replica.ts';
import { redisOperatorAuth, startRedis } from './redis.ts';
import { type RedisAuth, redisCommand, redisInfo } from './redis-protocol.ts';
import { nodeMemberAccess } from './replica-access.ts';
import type { ClusterSecrets } from './secrets.ts';
import { askSentinelsForMaster, lastKnownMaster, sentinelAuth, startSentinel } from './sentinel.ts';
import { SENTINEL_MASTER_NAME } from './sentinel-config.ts';
import { waitFor, waitForHttp } from './wait.ts';

export interface ClusterContext {
  dataDir: string;
  ports: PortMap;
  plan: MemberPlan[];
  detached?: boolean;
  secrets: ClusterSecrets;
  pgPasswords: PatroniPasswords;
  authEntry?: string;
  authEnv?: NodeJS.ProcessEnv;
  pushEntry?: string;
  pushEnv?: NodeJS.ProcessEnv;
  /** API requests a second per address at the load balancers (0: none); default TWOFOLD_EDGE_API_RATE or nginx.ts's. */
  edgeApiRatePerSecond?: number;
  /** The session cookie's domain (checked): the login page, and app1./app2. for the demo application. */
  cookieDomain: string;
}

export type Launcher = () => Promise<Omit<RunningMember, 'plan'>>;

/**
 * The URL of role `twofold` on database `twofold`, through HAProxy's read-write port, or its
 * read-only port: the standby, which forward auth falls back on.
 */
export const appDatabaseUrl = (ctx: ClusterContext, port = ctx.ports.haproxy.readWrite) =>
  postgresUrl({ user: 'twofold', password: ctx.secrets.databasePassword, port, database: 'twofold' });

/** The key prefix of the replicas' Redis keys: their ACL users may touch nothing else. */
export const REDIS_KEY_PREFIX = 'twofold:';

/** The URL of role `twofold_push` (the push replicas: the phones' public keys, nothing more). */
export const pushDatabaseUrl = (ctx: ClusterContext) =>
  postgresUrl({
    user: PUSH_DATABASE_ROLE,
    password: ctx.secrets.pushDatabasePassword,
    port: ctx.ports.haproxy.readWrite,
    database: 'twofold',
  });

export const adminDatabaseUrl = (ctx: ClusterContext) =>
  postgresUrl({
    user: 'postgres',
    password: ctx.pgPasswords.superuser,
    port: ctx.ports.haproxy.readWrite,
    database: 'postgres',
  });

/** The Redis master now: as the Sentinels say, else as they last wrote down, else redis-1. */
export async function currentRedisMaster(ctx: ClusterContext): Promise<number> {
  const { ports, plan, dataDir } = ctx;
  const sentinels = plan.filter((member) => member.kind === 'sentinel').map((member) => member.name);
  const fromSentinels = await askSentinelsForMaster(ports.sentinels, sentinelAuth(ctx.secrets.redis));
  if (fromSentinels !== undefined && ports.redis.includes(fromSentinels)) return fromSentinels;
  return (await lastKnownMaster(dataDir, sentinels, ports.redis)) ?? (ports.redis[0] as number);
}

export function createLaunchers(ctx: ClusterContext): Map<string, Launcher> {
  const { dataDir, ports, detached } = ctx;
  const launchers = new Map<string, Launcher>();
  const nodes = ports.postgres.map((postgresPort, i) => ({
    name: `pg-${i + 1}`,
    index: i + 1,
    postgresPort,
    restPort: ports.patroni[i] as number,
  }));
  launchers.set('etcd', () =>
    startEtcd({
      dataDir,
      clientPort: ports.etcd.client,
      peerPort: ports.etcd.peer,
      passwords: ctx.pgPasswords.etcd,
      detached,
    }),
  );
  for (const { name, ...node } of nodes) {
    launchers.set(name, () =>
      startPatroniNode({
        dataDir,
        ...node,
        etcdPort: ports.etcd.client,
        passwords: ctx.pgPasswords,
        detached,
      }),
    );
  }
  launchers.set('haproxy', () =>
    startHaproxy({
      dataDir,
      readWritePort: ports.haproxy.readWrite,
      readOnlyPort: ports.haproxy.readOnly,
      statsPort: ports.haproxy.stats,
      statsPassword: ctx.secrets.haproxyStatsPassword,
      nodes,
      detached,
    }),
  );
  for (const [i, port] of ports.redis.entries()) {
    launchers.set(`redis-${i + 1}`, () => launchRedis(ctx, i + 1, port));
  }
  for (const [i, port] of ports.sentinels.entries()) {
    launchers.set(`sentinel-${i + 1}`, async () =>
      startSentinel({
        dataDir,
        index: i + 1,
        port,
        masterPort: await currentRedisMaster(ctx),
        acl: ctx.secrets.redis,
        detached,
      }),
    );
  }
  launchers.set('mail', async () =>
    startMailSinkProcess({
      dataDir,
      smtpPort: ports.mail.smtp,
      httpPort: ports.mail.http,
      ...(await nodeMemberAccess(ctx, 'mail', 'mail', MAIL_SINK_ENTRY)),
      detached,
    }),
  );
  // What auth and push replicas share: PostgreSQL through HAProxy, Redis through the Sentinels.
  const replica = (index: number, port: number) => ({
    dataDir,
    index,
    port,
    databaseUrl: appDatabaseUrl(ctx),
    redisUrl: `redis://127.0.0.1:${ports.redis[0]}`,
    redisSentinels: ports.sentinels.map((sentinel) => `127.0.0.1:${sentinel}`),
    redisMasterName: SENTINEL_MASTER_NAME,
    redisKeyPrefix: REDIS_KEY_PREFIX,
    detached,
  });
  for (const [i, port] of ports.auth.entries()) {
    launchers.set(`auth-${i + 1}`, async () =>
      startAuthReplica({
        ...replica(i + 1, port),
        ...(await nodeMemberAccess(
          ctx,
          `auth-${i + 1}`,
          'auth',
          await runnableEntry(ctx.authEntry ?? authEntry()),
        )),
        redisUser: { username: 'auth', passwordFile: ctx.secrets.redis.files.auth },
        standbyDatabaseUrl: appDatabaseUrl(ctx, ctx.ports.haproxy.readOnly),
        smtpPort: ports.mail.smtp,
        secrets: ctx.secrets,
        // The operator's public URL (a name in front of both load balancers), else lb-a's.
        publicUrl: process.env.TWOFOLD_PUBLIC_URL || `http://127.0.0.1:${ports.lbA}`,
        // Browsers refuse WebAuthn at an address: on this machine, both load balancers as localhost.
        // The operator's public URL is the one origin of its own (the replica's default).
        ...(process.env.TWOFOLD_PUBLIC_URL
          ? {}
          : { webauthnOrigins: [ports.lbA, ports.lbB].map((port) => `http://localhost:${port}`) }),
        cookieDomain: ctx.cookieDomain,
        // The replicas share this machine's cores: together they hash no more at once than it has.
        argon2Concurrency: Math.max(1, Math.floor(availableParallelism() / ports.auth.length)),
        prometheus: {
          url: `http://127.0.0.1:${ports.monitoring.prometheus}`,
          passwordFile: ctx.secrets.prometheusPasswordFile,
        },
        env: ctx.authEnv,
      }),
    );
  }
  for (const [i, port] of ports.push.entries()) {
    launchers.set(`push-${i + 1}`, async () =>
      startPushReplica({
        ...replica(i + 1, port),
        ...(await nodeMemberAccess(
          ctx,
          `push-${i + 1}`,
          'push',
          await runnableEntry(ctx.pushEntry ?? pushEntry()),
        )),
        databaseUrl: pushDatabaseUrl(ctx),
        redisUser: { username: 'push', passwordFile: ctx.secrets.redis.files.push },
        env: ctx.pushEnv,
      }),
    );
  }
  launchers.set('demo', async () =>
    startDemoApp({
      dataDir,
      port: ports.demo,
      cookieDomain: ctx.cookieDomain,
      loginUrl: process.env.TWOFOLD_LOGIN_URL || undefined,
      ...(await nodeMemberAccess(ctx, 'demo', 'demo', DEMO_APP_ENTRY)),
      detached,
    }),
  );
  launchers.set('lb-a', () => launchNginx(ctx, 'a', ports.lbA));
  launchers.set('lb-b', () => launchNginx(ctx, 'b', ports.lbB));
  for (const [name, launcher] of monitoringLaunchers(ctx)) launchers.set(name, launcher);
  return launchers;
}

/**
 * A replica of the current master (never a second master), or the master itself. A replica is
 * ready once it has synced, unless its master is not running yet (a cold start after a failover
 * starts redis-1 as a replica of redis-2, which comes next): the cluster then waits for both.
 */
async function launchRedis(ctx: ClusterContext, index: number, port: number) {
  const master = await currentRedisMaster(ctx);
  const replicaOf = master === port ? undefined : master;
  const server = await startRedis({
    dataDir: ctx.dataDir,
    member: `redis-${index}`,
    port,
    replicaOf,
    acl: ctx.secrets.redis,
    keyPrefix: REDIS_KEY_PREFIX,
    runAsSystemUser: true,
    detached: ctx.detached,
  });
  const auth = redisOperatorAuth(ctx.secrets.redis);
  const masterRuns = await redisCommand(master, ['PING'], { auth }).then(
    () => true,
    () => false,
  );
  if (replicaOf === undefined || !masterRuns) return server;
  try {
    await waitForReplicaSync(port, auth, server.handle.failOnExit());
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

export function waitForReplicaSync(
  port: number,
  auth: RedisAuth | undefined,
  abort?: Promise<never>,
): Promise<void> {
  return waitFor(
    async () => {
      const info = await redisInfo(port, 'replication', { auth });
      if (info.role === 'master' || info.master_link_status === 'up') return true;
      throw new Error(`link to the master on port ${info.master_port} is ${info.master_link_status}`);
    },
    { description: `the Redis on port ${port} to finish its sync with the master`, timeoutMs: 30_000, abort },
  );
}

function edgeApiRateFromEnv(): number | undefined {
  const value = process.env.TWOFOLD_EDGE_API_RATE;
  if (value === undefined || value === '') return undefined;
  if (!/^\d+$/.test(value)) throw new Error(`TWOFOLD_EDGE_API_RATE: "${value}" is not a whole number`);
  return Number(value);
}

async function launchNginx(ctx: ClusterContext, name: 'a' | 'b', port: number) {
  const member = `lb-${name}`;
  const lb = await startNginx({
    dataDir: ctx.dataDir,
    name,
    listenPort: port,
    upstreamPorts: ctx.ports.auth,
    pushUpstreamPorts: ctx.ports.push,
    demo: { port: ctx.ports.demo, cookieDomain: ctx.cookieDomain },
    statusPort: ctx.ports.monitoring.nginxStatus[name === 'a' ? 0 : 1],
    apiRatePerSecond: ctx.edgeApiRatePerSecond ?? edgeApiRateFromEnv(),
    runAsSystemUser: true,
    trustedEdgeProxies: (process.env.TWOFOLD_EDGE_TRUSTED_PROXIES ?? '')
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean),
    detached: ctx.detached,
  });
  try {
    // Proves the whole path: client -> nginx -> a replica.
    await waitForHttp(`${lb.url}healthz`, {
      description: `GET /healthz through ${member} (nginx errors: ${memberDir(ctx.dataDir, member)}/logs/error.log)`,
      timeoutMs: 10_000,
      abort: lb.handle.failOnExit(),
    });
  } catch (error) {
    await lb.stop();
    throw error;
  }
  return lb;
}
