// The programmatic cluster: PostgreSQL, Redis, the auth replicas and two nginx load balancers,
// each started after the one before is ready, and stopped in reverse order.
import { startAuthReplica } from './auth-replica.ts';
import { ensureDir } from './files.ts';
import { type MemberPlan, MemberRegistry, planMembers, type RunningMember } from './members.ts';
import { startNginx } from './nginx.ts';
import { memberDir, memberLogFile } from './paths.ts';
import { liveRecordedMembers } from './pidfiles.ts';
import { DEFAULT_PORT_BASE, derivePorts, type PortMap } from './ports.ts';
import { startPostgres } from './postgres.ts';
import { describeExit, type ExitInfo } from './process-handle.ts';
import { startRedis } from './redis.ts';
import { ensureClusterSecrets } from './secrets.ts';
import { waitForHttp } from './wait.ts';

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
  databaseUrl: string;
  redisUrl: string;
  members: MemberRegistry;
  /** Stops every member in reverse start order; safe to call more than once. */
  stop(): Promise<void>;
}

export class MemberStartError extends Error {
  constructor(
    readonly member: string,
    readonly logFile: string,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`${member} failed to start: ${reason}\nSee its log: ${logFile}`, { cause });
  }
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const { dataDir, log = () => {}, detached } = options;
  const ports = derivePorts(options.portBase ?? DEFAULT_PORT_BASE, options.authReplicas ?? 2);
  const plan = planMembers(ports);
  const byName = (name: string) => plan.find((member) => member.name === name) as MemberPlan;
  const registry = new MemberRegistry(plan);
  let stopping = false;

  const start = async <T extends Omit<RunningMember, 'plan'>>(member: MemberPlan, run: () => Promise<T>) => {
    options.signal?.throwIfAborted();
    const logFile = memberLogFile(dataDir, member.name);
    log(`${member.name.padEnd(8)} starting ${member.title} on 127.0.0.1:${member.port} (log: ${logFile})`);
    const began = Date.now();
    let started: T;
    try {
      started = await run();
    } catch (error) {
      throw error instanceof MemberStartError ? error : new MemberStartError(member.name, logFile, error);
    }
    registry.add({ ...started, plan: member });
    started.handle.onExit((info) => {
      if (info.expected || stopping) return;
      log(`${member.name.padEnd(8)} ${describeExit(info)} unexpectedly (log: ${logFile})`);
      options.onMemberExit?.(member.name, info);
    });
    log(`${member.name.padEnd(8)} ready in ${((Date.now() - began) / 1000).toFixed(1)}s`);
    return started;
  };

  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= stopAll();
    return stopped;
  };
  const stopAll = async () => {
    stopping = true;
    const failures: string[] = [];
    for (const member of registry.list().reverse()) {
      try {
        if (member.handle.running) log(`${member.plan.name.padEnd(8)} stopping`);
        await member.stop();
        registry.remove(member.plan.name);
      } catch (error) {
        failures.push(`${member.plan.name}: ${(error as Error).message}`);
      }
    }
    if (failures.length > 0) throw new Error(`could not stop every member:\n${failures.join('\n')}`);
  };

  const running = await liveRecordedMembers(dataDir);
  if (running.length > 0) {
    const list = running.map(({ member, pid }) => `${member} (pid ${pid})`).join(', ');
    throw new Error(`a cluster is already running from ${dataDir}: ${list}; stop it first`);
  }
  try {
    await ensureDir(dataDir, 0o711);
    const secrets = await ensureClusterSecrets(dataDir);
    const pg = await start(byName('pg-1'), async () => {
      const server = await startPostgres({
        dataDir,
        port: ports.postgres,
        appPassword: secrets.databasePassword,
        detached,
      });
      return { ...server, url: server.databaseUrl as string };
    });
    const redis = await start(byName('redis-1'), () => startRedis({ dataDir, port: ports.redis, detached }));
    // Replicas start side by side (their migrations serialise on an advisory lock).
    const replicas = await Promise.allSettled(
      ports.auth.map((port, i) =>
        start(byName(`auth-${i + 1}`), () =>
          startAuthReplica({
            dataDir,
            index: i + 1,
            port,
            databaseUrl: pg.url,
            redisUrl: redis.url,
            secrets,
            env: options.authEnv,
            entry: options.authEntry,
            detached,
          }),
        ),
      ),
    );
    const failed = replicas.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    const lbs = [];
    for (const [name, port] of [['a', ports.lbA] as const, ['b', ports.lbB] as const]) {
      const member = byName(`lb-${name}`);
      lbs.push(
        await start(member, async () => {
          const lb = await startNginx({
            dataDir,
            name,
            listenPort: port,
            upstreamPorts: ports.auth,
            detached,
          });
          // Proves the whole path: client -> nginx -> a replica.
          await waitForHttp(`${lb.url}healthz`, {
            description: `GET /healthz through ${member.name} (nginx errors: ${memberDir(dataDir, member.name)}/logs/error.log)`,
            timeoutMs: 10_000,
            abort: lb.handle.failOnExit(),
          }).catch(async (error) => {
            await lb.stop();
            throw error;
          });
          return lb;
        }),
      );
    }
    return {
      dataDir,
      ports,
      lbUrls: lbs.map((lb) => lb.url),
      authUrls: replicas.map((result) => (result.status === 'fulfilled' ? result.value.url : '')),
      databaseUrl: pg.url,
      redisUrl: redis.url,
      members: registry,
      stop,
    };
  } catch (error) {
    await stop().catch((stopError) => log(`while cleaning up: ${(stopError as Error).message}`));
    throw error;
  }
}
