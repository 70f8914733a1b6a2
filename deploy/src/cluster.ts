// The programmatic cluster: etcd, two PostgreSQL nodes under Patroni, HAProxy, Redis master +
// replica, three Sentinels, the mail sink, the auth and push replicas, the demo application and
// two nginx load balancers, each started after the one before is ready, and stopped in reverse order.

import type { RedisTarget } from '../../services/common/src/redis-client.ts';
import { runnableEntry } from './build-replicas.ts';
import { operatorRedisTarget } from './cluster-connections.ts';
import {
  ensureAppDatabase,
  waitForPostgresLeader,
  waitForRedisReplication,
  waitForSentinels,
} from './cluster-gates.ts';
import {
  adminDatabaseUrl,
  appDatabaseUrl,
  type ClusterContext,
  createLaunchers,
  pushDatabaseUrl,
} from './cluster-launchers.ts';
import { resolveMember } from './cluster-resolve.ts';
import { checkCookieDomain, resolveCookieDomain } from './cookie-domain.ts';
import { ensureDir, exists } from './files.ts';
import { liveLeftovers } from './leftovers.ts';
import { type MemberStatus, memberStatus } from './member-status.ts';
import { type MemberRegistry, planMembers } from './members.ts';
import { memberLogFile } from './paths.ts';
import { DEFAULT_AUTH_REPLICAS, DEFAULT_PORT_BASE, derivePorts, type PortMap } from './ports.ts';
import type { ExitInfo } from './process-handle.ts';
import { type ReplicaKind, replicaEntry } from './replica.ts';
import { ensureClusterSecrets, ensurePatroniPasswords } from './secrets.ts';
import { MemberStartError, Supervisor } from './supervisor.ts';
import { abortedBy } from './wait.ts';

export type { MemberStatus } from './member-status.ts';
export { MemberStartError } from './supervisor.ts';

export interface ClusterOptions {
  dataDir: string;
  portBase?: number;
  authReplicas?: number;
  /** Progress lines ("pg-1 ready in 1.2s"); silent when absent. */
  log?: (line: string) => void;
  /** Extra environment for the auth replicas. */
  authEnv?: NodeJS.ProcessEnv;
  /** Entry point of the auth replica (default: TWOFOLD_AUTH_ENTRY or services/auth/src/server.ts). */
  authEntry?: string;
  /** Extra environment for the push replicas. */
  pushEnv?: NodeJS.ProcessEnv;
  /** API requests a second per client address at the load balancers; 0 turns the limit off. */
  edgeApiRatePerSecond?: number;
  /** Entry point of the push gateway (default: TWOFOLD_PUSH_ENTRY or services/push/src/server.ts). */
  pushEntry?: string;
  /**
   * The session cookie's domain, given to the auth replicas; the load balancers serve the demo
   * application at app1. and app2. of it. Default: TWOFOLD_COOKIE_DOMAIN or twofold.localhost.
   */
  cookieDomain?: string;
  /**
   * false: members stay in this process's group, so a Ctrl-C in the terminal reaches them too
   * (tests). Default true: only we get it, and stop them in order (`twofold up`).
   */
  detached?: boolean;
  /** Aborting it stops the start-up before the next member (what has started is stopped). */
  signal?: AbortSignal;
  /** Called when a member exits without being asked to (after start-up). */
  onMemberExit?: (member: string, info: ExitInfo) => void;
}

export interface Cluster {
  dataDir: string;
  ports: PortMap;
  lbUrls: string[];
  authUrls: string[];
  /** push-1, push-2: the push gateway replicas, directly (phones reach them through `${lbUrl}push/`). */
  pushUrls: string[];
  /** Role `twofold` on database `twofold`, through HAProxy's read-write port. */
  databaseUrl: string;
  /** Role `twofold_push` (the push replicas') on database `twofold`, through HAProxy's read-write port. */
  pushDatabaseUrl: string;
  /** The superuser on database `postgres`, through HAProxy's read-write port. */
  adminDatabaseUrl: string;
  /** redis-1 (the master at first; ask a Sentinel who is master now). */
  redisUrl: string;
  sentinels: Array<{ host: string; port: number }>;
  /** The master through the Sentinels, as the operator (every key and command): for createRedisClient. */
  operatorRedis: RedisTarget;
  /** The mail sink's page of caught mails (its JSON: `${mailUrl}api/messages?to=<address>`). */
  mailUrl: string;
  /** The session cookie's domain; the demo application is app1. and app2. of it on either load balancer. */
  cookieDomain: string;
  /** The demo application (examples/whoami) directly, without forward auth. */
  demoUrl: string;
  /** Prometheus's HTTP API (every member's metrics, the alert rules) and Alertmanager's. */
  prometheusUrl: string;
  alertmanagerUrl: string;
  members: MemberRegistry;
  /** SIGKILL to every process of the member (or SIGTERM when graceful); resolves once it is gone. */
  kill(member: string, options?: { graceful?: boolean }): Promise<void>;
  /** Starts the member again; stops it first when it runs. Aliases are resolved first. */
  restart(member: string): Promise<void>;
  /** Every planned member, in start order, running or not. */
  status(): Promise<MemberStatus[]>;
  /** A member name, or an alias (pg-primary, redis-master) resolved to whoever holds the role now. */
  resolve(member: string): Promise<string>;
  /** Stops every member in reverse start order; safe to call more than once. */
  stop(): Promise<void>;
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const { dataDir, log = () => {} } = options;
  const ports = derivePorts(
    options.portBase ?? DEFAULT_PORT_BASE,
    options.authReplicas ?? DEFAULT_AUTH_REPLICAS,
  );
  const plan = planMembers(ports);
  const cookieDomain =
    options.cookieDomain === undefined ? resolveCookieDomain() : checkCookieDomain(options.cookieDomain);
  const leftovers = await liveLeftovers(dataDir);
  if (leftovers.length > 0) {
    const list = leftovers.map(({ member, pid }) => `${member} (pid ${pid})`).join(', ');
    throw new Error(
      `a cluster is already running from ${dataDir}: ${list}; stop it first (twofold down --data-dir ${dataDir})`,
    );
  }
  // A missing entry point fails now, not after a minute of starting PostgreSQL and Redis.
  const entryOf = async (kind: ReplicaKind, given: string | undefined) => {
    const entry = given ?? replicaEntry(kind);
    if (await exists(entry)) return entry;
    const member = `${kind}-1`;
    throw new MemberStartError(
      member,
      memberLogFile(dataDir, member),
      `the ${kind} replica's entry point ${entry} does not exist`,
    );
  };
  const authEntry = await entryOf('auth', options.authEntry);
  const pushEntry = await entryOf('push', options.pushEntry);
  // Compiled before any member starts: when the members run from a staged copy of the clone (root,
  // a clone under /root), the copy is made at the first start and must hold today's bundles.
  await Promise.all([runnableEntry(authEntry), runnableEntry(pushEntry)]);
  await ensureDir(dataDir, 0o711);
  const ctx: ClusterContext = {
    dataDir,
    ports,
    plan,
    detached: options.detached,
    secrets: await ensureClusterSecrets(dataDir),
    pgPasswords: await ensurePatroniPasswords(dataDir),
    authEntry,
    authEnv: options.authEnv,
    pushEntry,
    pushEnv: options.pushEnv,
    edgeApiRatePerSecond: options.edgeApiRatePerSecond,
    cookieDomain,
  };
  const supervisor = new Supervisor(ctx, createLaunchers(ctx), {
    log,
    onMemberExit: options.onMemberExit,
    signal: options.signal,
  });
  const names = (kind: string) => plan.filter((member) => member.kind === kind).map((member) => member.name);
  const aborted = abortedBy(options.signal);
  const gate = async <T>(member: string, what: () => Promise<T>) => {
    options.signal?.throwIfAborted();
    try {
      return await what();
    } catch (error) {
      throw new MemberStartError(member, memberLogFile(dataDir, member), error);
    }
  };
  try {
    await supervisor.start('etcd');
    for (const name of names('postgres')) await supervisor.start(name);
    const roles = await gate('pg-1', () => waitForPostgresLeader(ctx, aborted));
    log(`${'patroni'.padEnd(10)} leader ${roles.leader}, sync standby ${roles.syncStandby}`);
    await supervisor.start('haproxy');
    await gate('pg-1', () => ensureAppDatabase(ctx, aborted));
    log(`${'postgres'.padEnd(10)} role and database twofold ready through haproxy`);
    for (const name of names('redis')) await supervisor.start(name);
    await gate('redis-1', () => waitForRedisReplication(ctx, aborted));
    for (const name of names('sentinel')) await supervisor.start(name);
    await gate('sentinel-1', () => waitForSentinels(ctx, aborted));
    log(`${'sentinels'.padEnd(10)} agree on the master and see its replica`);
    await supervisor.start('mail');
    // Replicas start side by side (their migrations serialise on an advisory lock), and beside
    // them the monitoring members, which need nothing of them but the nginx exporters.
    const nginxExporters = ['nginx-exporter-a', 'nginx-exporter-b'];
    const besideReplicas = [
      ...names('auth'),
      ...names('push'),
      ...[...names('exporter'), ...names('alertmanager'), ...names('prometheus')].filter(
        (name) => !nginxExporters.includes(name),
      ),
    ];
    const started = await Promise.allSettled(besideReplicas.map((name) => supervisor.start(name)));
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    await supervisor.start('demo');
    for (const name of [...names('nginx'), ...nginxExporters]) await supervisor.start(name);
  } catch (error) {
    await supervisor
      .stopAll()
      .catch((stopError) => log(`while cleaning up: ${(stopError as Error).message}`));
    throw error;
  }
  const resolve = (member: string) => resolveMember(member, ctx);
  return {
    dataDir,
    ports,
    lbUrls: [ports.lbA, ports.lbB].map((port) => `http://127.0.0.1:${port}/`),
    authUrls: ports.auth.map((port) => `http://127.0.0.1:${port}/`),
    pushUrls: ports.push.map((port) => `http://127.0.0.1:${port}/`),
    databaseUrl: appDatabaseUrl(ctx),
    pushDatabaseUrl: pushDatabaseUrl(ctx),
    adminDatabaseUrl: adminDatabaseUrl(ctx),
    redisUrl: `redis://127.0.0.1:${ports.redis[0]}`,
    sentinels: ports.sentinels.map((port) => ({ host: '127.0.0.1', port })),
    operatorRedis: operatorRedisTarget(ports, ctx.secrets.redis),
    mailUrl: `http://127.0.0.1:${ports.mail.http}/`,
    cookieDomain,
    demoUrl: `http://127.0.0.1:${ports.demo}/`,
    prometheusUrl: `http://127.0.0.1:${ports.monitoring.prometheus}/`,
    alertmanagerUrl: `http://127.0.0.1:${ports.monitoring.alertmanager}/`,
    members: supervisor.registry,
    kill: async (member, killOptions) => supervisor.kill(await resolve(member), killOptions),
    restart: async (member) => supervisor.restart(await resolve(member)),
    status: () =>
      Promise.all(
        plan.map((member) =>
          memberStatus(member, supervisor.registry.get(member.name), ports, ctx.secrets, { cookieDomain }),
        ),
      ),
    resolve,
    stop: () => supervisor.stopAll(),
  };
}
