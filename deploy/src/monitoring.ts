// The monitoring members: Prometheus, Alertmanager and the exporters, Debian's programs run in the
// foreground on loopback, each ready once it answers. When root starts them, Prometheus runs as
// Debian's `prometheus` user and every other one as a system user of its own (twofold-<member>), so
// a flaw in one reads no other's secrets (the exporters' passwords, Prometheus's password files).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { type Binary, binaries, requireBinary } from './binaries.ts';
import type { ClusterContext, Launcher } from './cluster-launchers.ts';
import { ensureDir } from './files.ts';
import {
  ensureMemberSubdir,
  ensureSystemUser,
  type MemberUser,
  memberUser,
  writeMemberFile,
} from './member-user.ts';
import type { ExporterName } from './members.ts';
import {
  OPERATOR,
  renderAlertmanagerConfig,
  renderPrometheusConfig,
  renderWebConfig,
} from './monitoring-config.ts';
import { memberDir, memberLogFile, memberPidFile, repoRoot } from './paths.ts';
import { isPortInUse } from './ports.ts';
import { MONITOR_DATABASE_ROLE, postgresUrl } from './postgres-admin.ts';
import { isRoot } from './proc.ts';
import { readyOnHttp, startProcess, stopperOf } from './process-handle.ts';

/** The one rules file (also for Compose and Kubernetes), copied where Prometheus's user reads it. */
export const ALERT_RULES_FILE = path.join(repoRoot, 'monitoring', 'alerts.yml');
/** Where Alertmanager mails alerts (the development mail sink catches every address). */
export const alertEmail = () => process.env.TWOFOLD_ALERT_EMAIL || 'operators@twofold.localhost';

interface DaemonSpec {
  ctx: ClusterContext;
  member: string;
  binary: Binary;
  args: string[];
  port: number;
  /** Polled until it answers 200. */
  readyPath: string;
  env?: NodeJS.ProcessEnv;
  /** Files to write into the member's directory first (name -> content), readable by it alone. */
  files?: Record<string, string>;
  /** Its API asks for `operator`'s password (--web.config.file): the readiness check gives it. */
  password?: string;
}

/** The basic auth header of user `operator`. */
export const operatorAuthorization = (password: string) =>
  `Basic ${Buffer.from(`${OPERATOR}:${password}`).toString('base64')}`;

/** Debian's `prometheus` for Prometheus, a user of its own for every other monitoring member. */
function systemUserFor(member: string): string {
  if (member === 'prometheus') return 'prometheus';
  const name = `twofold-${member}`;
  if (isRoot()) ensureSystemUser(name);
  return name;
}

async function startDaemon(spec: DaemonSpec, prepare?: (dir: string, user?: MemberUser) => Promise<void>) {
  const { ctx, member } = spec;
  const dir = memberDir(ctx.dataDir, member);
  await ensureDir(dir, 0o700);
  const user = await memberUser(systemUserFor(member), dir, ctx.dataDir);
  for (const [name, content] of Object.entries(spec.files ?? {})) {
    await writeMemberFile(path.join(dir, name), content, user);
  }
  await prepare?.(dir, user);
  if (await isPortInUse(spec.port)) throw new Error(`${member}: port ${spec.port} is already in use`);
  const handle = await startProcess({
    member,
    command: requireBinary(spec.binary),
    args: spec.args,
    cwd: dir,
    user,
    // Not our environment: nothing of the supervisor's leaks into an exporter.
    env: { PATH: process.env.PATH, ...spec.env },
    logFile: memberLogFile(ctx.dataDir, member),
    pidFile: memberPidFile(ctx.dataDir, member),
    stopSignal: 'SIGTERM',
    stopTimeoutMs: 10_000,
    detached: ctx.detached,
  });
  const url = `http://127.0.0.1:${spec.port}/`;
  const headers = spec.password ? { authorization: operatorAuthorization(spec.password) } : undefined;
  await readyOnHttp(
    handle,
    `${url}${spec.readyPath}`,
    `${member} to answer on /${spec.readyPath}`,
    30_000,
    headers,
  );
  return { handle, url, stop: stopperOf(handle) };
}

const listen = (port: number) => `127.0.0.1:${port}`;

/** --web.config.file's content for this password (bcrypt: Prometheus's and Alertmanager's format). */
const webConfig = (password: string) => renderWebConfig(bcrypt.hashSync(password, 10));

function startPrometheus(ctx: ClusterContext) {
  const port = ctx.ports.monitoring.prometheus;
  const dir = memberDir(ctx.dataDir, 'prometheus');
  const { secrets } = ctx;
  const passwordFiles = {
    haproxy: path.join(dir, 'haproxy.password'),
    prometheus: path.join(dir, 'prometheus.password'),
    alertmanager: path.join(dir, 'alertmanager.password'),
  };
  return startDaemon(
    {
      ctx,
      member: 'prometheus',
      binary: binaries.prometheus,
      port,
      readyPath: '-/ready',
      args: [
        `--config.file=${path.join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        '--storage.tsdb.retention.time=15d',
        `--web.listen-address=${listen(port)}`,
        `--web.external-url=http://${listen(port)}/`,
        `--web.config.file=${path.join(dir, 'web.yml')}`,
      ],
      password: secrets.prometheusPassword,
      files: {
        'haproxy.password': secrets.haproxyStatsPassword,
        'prometheus.password': secrets.prometheusPassword,
        'alertmanager.password': secrets.alertmanagerPassword,
        'web.yml': webConfig(secrets.prometheusPassword),
        'prometheus.yml': renderPrometheusConfig({
          plan: ctx.plan,
          ports: ctx.ports,
          passwordFiles,
          rulesFile: path.join(dir, 'alerts.yml'),
        }),
      },
    },
    async (memberDirectory, user) => {
      await writeMemberFile(
        path.join(memberDirectory, 'alerts.yml'),
        await readFile(ALERT_RULES_FILE, 'utf8'),
        user,
      );
      await ensureMemberSubdir(path.join(memberDirectory, 'data'), user);
    },
  );
}

function startAlertmanager(ctx: ClusterContext) {
  const port = ctx.ports.monitoring.alertmanager;
  const dir = memberDir(ctx.dataDir, 'alertmanager');
  return startDaemon(
    {
      ctx,
      member: 'alertmanager',
      binary: binaries.alertmanager,
      port,
      readyPath: '-/ready',
      args: [
        `--config.file=${path.join(dir, 'alertmanager.yml')}`,
        `--storage.path=${path.join(dir, 'data')}`,
        `--web.listen-address=${listen(port)}`,
        `--web.external-url=http://${listen(port)}/`,
        // One Alertmanager: no gossip port (its default listens on every address).
        '--cluster.listen-address=',
        `--web.config.file=${path.join(dir, 'web.yml')}`,
      ],
      password: ctx.secrets.alertmanagerPassword,
      files: {
        'web.yml': webConfig(ctx.secrets.alertmanagerPassword),
        'alertmanager.yml': renderAlertmanagerConfig({
          smtpPort: ctx.ports.mail.smtp,
          to: alertEmail(),
          from: 'twofold-alerts@twofold.localhost',
        }),
      },
    },
    (memberDirectory, user) => ensureMemberSubdir(path.join(memberDirectory, 'data'), user),
  );
}

function startExporter(ctx: ClusterContext, member: ExporterName) {
  const { ports, secrets } = ctx;
  const common = { ctx, member, readyPath: 'metrics' };
  switch (member) {
    case 'node-exporter':
      return startDaemon({
        ...common,
        binary: binaries.nodeExporter,
        port: ports.monitoring.nodeExporter,
        args: [`--web.listen-address=${listen(ports.monitoring.nodeExporter)}`],
      });
    case 'redis-exporter': {
      // Scrapes what Prometheus names (/scrape?target=) as user `monitor`, whose password it gives
      // only to the cluster's Redis and Sentinels (a file keyed by address): anyone else asking it
      // to scrape their own server gets no password. No CONFIG: it would read `masterauth`.
      const dir = memberDir(ctx.dataDir, member);
      const passwords = Object.fromEntries(
        [...ports.redis, ...ports.sentinels].map((port) => [
          `redis://127.0.0.1:${port}`,
          secrets.redis.passwords.monitor,
        ]),
      );
      return startDaemon({
        ...common,
        binary: binaries.redisExporter,
        port: ports.monitoring.redisExporter,
        readyPath: 'health',
        args: [
          `-web.listen-address=${listen(ports.monitoring.redisExporter)}`,
          '-redis.addr=',
          '-redis.user=monitor',
          `-redis.password-file=${path.join(dir, 'passwords.json')}`,
          '-config-command=-',
        ],
        files: { 'passwords.json': JSON.stringify(passwords) },
      });
    }
    case 'postgres-exporter': {
      const url = (port: number) =>
        `${postgresUrl({ user: MONITOR_DATABASE_ROLE, password: secrets.monitorDatabasePassword, port, database: 'postgres' })}?sslmode=disable`;
      return startDaemon({
        ...common,
        binary: binaries.postgresExporter,
        port: ports.monitoring.postgresExporter,
        args: [
          `--web.listen-address=${listen(ports.monitoring.postgresExporter)}`,
          '--disable-settings-metrics',
          // With two servers these collectors repeat a series and fail every scrape (0.11.1).
          '--no-collector.bgwriter',
          '--no-collector.database',
        ],
        // Both nodes, each series labelled with its `server`; in the environment, never on the command line.
        env: { DATA_SOURCE_NAME: ports.postgres.map(url).join(',') },
      });
    }
    case 'nginx-exporter-a':
    case 'nginx-exporter-b': {
      const index = member === 'nginx-exporter-a' ? 0 : 1;
      const port = ports.monitoring.nginxExporters[index] as number;
      return startDaemon({
        ...common,
        binary: binaries.nginxExporter,
        port,
        args: [
          `-web.listen-address=${listen(port)}`,
          `-nginx.scrape-uri=http://${listen(ports.monitoring.nginxStatus[index] as number)}/stub_status`,
          // Restarted while its load balancer is down, it waits for it instead of exiting.
          '-nginx.retries=1000000',
          '-nginx.retry-interval=2s',
          '-nginx.timeout=2s',
        ],
      });
    }
  }
}

export function monitoringLaunchers(ctx: ClusterContext): Map<string, Launcher> {
  const exporters: ExporterName[] = [
    'node-exporter',
    'redis-exporter',
    'postgres-exporter',
    'nginx-exporter-a',
    'nginx-exporter-b',
  ];
  return new Map<string, Launcher>([
    ...exporters.map((name): [string, Launcher] => [name, () => startExporter(ctx, name)]),
    ['alertmanager', () => startAlertmanager(ctx)],
    ['prometheus', () => startPrometheus(ctx)],
  ]);
}
