// The Compose deployment's configs, rendered by the same code as `npm start`'s (deploy/src/*-config.ts,
// nginx/twofold.conf.template), with the members' names in place of loopback ports. Each member gets a
// directory of its own (members/<name>/, mounted read-only at /etc/twofold) holding its config and the
// secrets it needs, and nothing else.
import { readFile } from 'node:fs/promises';
import bcrypt from 'bcryptjs';
import { renderHaproxyConfig } from '../src/haproxy-config.ts';
import { ALERT_RULES_FILE, alertEmail } from '../src/monitoring.ts';
import {
  OPERATOR,
  renderAlertmanagerConfig,
  renderScrapeConfig,
  renderWebConfig,
  type ScrapeTarget,
} from '../src/monitoring-config.ts';
import { renderNginxConfig, templateFile } from '../src/nginx.ts';
import { renderPatroniConfig } from '../src/patroni-config.ts';
import { PUSH_DATABASE_ROLE, postgresUrl } from '../src/postgres-admin.ts';
import { renderRedisConfig } from '../src/redis.ts';
import type { ClusterSecrets, ensurePatroniPasswords } from '../src/secrets.ts';
import { renderSentinelConfig } from '../src/sentinel-config.ts';
import {
  AUTH_REPLICAS,
  LOAD_BALANCERS,
  PORTS,
  POSTGRES_NODES,
  PUSH_REPLICAS,
  REDIS_NODES,
  SENTINELS,
} from './topology.ts';

export interface ComposeSecrets {
  cluster: ClusterSecrets;
  patroni: Awaited<ReturnType<typeof ensurePatroniPasswords>>;
  sessionSecret: string;
  encryptionKeys: string;
  /** Grafana's `admin` (the `grafana` profile): never its default password. */
  grafanaAdmin: string;
}

/** A file of members/<member>/: every one is readable by the containers' user alone. */
export interface MemberFile {
  member: string;
  name: string;
  content: string;
}

const REDIS_KEY_PREFIX = 'twofold:';
/** Where a Debian member keeps its state: the image makes it, a named volume holds it. */
export const STATE_DIR = '/var/lib/twofold';

/** Role `twofold` through HAProxy's read-write port, or its read-only port (the standby). */
export const appDatabaseUrl = (secrets: ComposeSecrets, port: number = PORTS.haproxyReadWrite) =>
  postgresUrl({
    user: 'twofold',
    password: secrets.cluster.databasePassword,
    host: 'haproxy',
    port,
    database: 'twofold',
  });

export const adminDatabaseUrl = (secrets: ComposeSecrets) =>
  postgresUrl({
    user: 'postgres',
    password: secrets.patroni.superuser,
    host: 'haproxy',
    port: PORTS.haproxyReadWrite,
    database: 'postgres',
  });

function postgresFiles(secrets: ComposeSecrets): MemberFile[] {
  return POSTGRES_NODES.map((node) => ({
    member: node,
    name: 'patroni.yml',
    content: renderPatroniConfig({
      name: node,
      nodeDir: STATE_DIR,
      postgresPort: PORTS.postgres,
      restPort: PORTS.patroniRest,
      etcdPort: PORTS.etcdClient,
      passwords: secrets.patroni,
      socketDir: '',
      // samenet: the container network's own addresses (the other node, HAProxy, the bootstrap).
      network: { host: node, etcdHost: 'etcd', clients: 'samenet' },
    }),
  }));
}

function haproxyFiles(secrets: ComposeSecrets): MemberFile[] {
  return [
    {
      member: 'haproxy',
      name: 'haproxy.cfg',
      content: renderHaproxyConfig({
        readWritePort: PORTS.haproxyReadWrite,
        readOnlyPort: PORTS.haproxyReadOnly,
        statsPort: PORTS.haproxyStats,
        statsPassword: secrets.cluster.haproxyStatsPassword,
        bindAddress: '0.0.0.0',
        resolveNames: true,
        nodes: POSTGRES_NODES.map((node) => ({
          name: node,
          host: node,
          postgresPort: PORTS.postgres,
          restPort: PORTS.patroniRest,
        })),
      }),
    },
  ];
}

function redisFiles(secrets: ComposeSecrets): MemberFile[] {
  const [master] = REDIS_NODES;
  const redis = REDIS_NODES.map((node) => ({
    member: node,
    name: 'redis.conf',
    content: renderRedisConfig({
      port: PORTS.redis,
      dir: STATE_DIR,
      replicaOf: node === master ? undefined : PORTS.redis,
      acl: secrets.cluster.redis,
      keyPrefix: REDIS_KEY_PREFIX,
      network: { bind: '0.0.0.0', masterHost: master, announceHost: node },
    }),
  }));
  const { sentinelPasswords, passwords } = secrets.cluster.redis;
  const sentinels = SENTINELS.map((sentinel) => ({
    member: sentinel,
    name: 'sentinel.conf',
    content: renderSentinelConfig({
      port: PORTS.sentinel,
      dir: STATE_DIR,
      masterPort: PORTS.redis,
      auth: { ...sentinelPasswords, redisSentinelPassword: passwords.sentinel, monitor: passwords.monitor },
      network: { bind: '0.0.0.0', masterHost: master, announceHost: sentinel },
    }),
  }));
  return [...redis, ...sentinels];
}

function replicaFiles(secrets: ComposeSecrets): MemberFile[] {
  const { redis } = secrets.cluster;
  const pushDatabaseUrl = postgresUrl({
    user: PUSH_DATABASE_ROLE,
    password: secrets.cluster.pushDatabasePassword,
    host: 'haproxy',
    port: PORTS.haproxyReadWrite,
    database: 'twofold',
  });
  return [
    // The auth replicas share one directory, as they share these secrets; so do the push replicas.
    { member: 'auth', name: 'session-secret', content: secrets.sessionSecret },
    { member: 'auth', name: 'encryption-keys', content: secrets.encryptionKeys },
    { member: 'auth', name: 'database-url', content: appDatabaseUrl(secrets) },
    // HAProxy's read-only port: the standby, which forward auth reads while the primary fails over.
    { member: 'auth', name: 'database-standby-url', content: appDatabaseUrl(secrets, PORTS.haproxyReadOnly) },
    { member: 'auth', name: 'redis-password', content: redis.passwords.auth },
    { member: 'auth', name: 'sentinel-password', content: redis.sentinelPasswords.client },
    // The admins' /ops dashboard reads Prometheus as `operator`.
    { member: 'auth', name: 'prometheus-password', content: secrets.cluster.prometheusPassword },
    { member: 'push', name: 'database-url', content: pushDatabaseUrl },
    { member: 'push', name: 'redis-password', content: redis.passwords.push },
    { member: 'push', name: 'sentinel-password', content: redis.sentinelPasswords.client },
  ];
}

async function loadBalancerFiles(): Promise<MemberFile[]> {
  const template = await readFile(templateFile, 'utf8');
  return LOAD_BALANCERS.map((member) => ({
    member,
    name: 'nginx.conf',
    content: renderNginxConfig(template, {
      name: member.replace(/^lb-/, ''),
      prefix: `${STATE_DIR}/nginx`,
      listenPort: PORTS.lb,
      upstreamPorts: [],
      pushUpstreamPorts: [],
      network: {
        upstreams: AUTH_REPLICAS.map((name) => `${name}:${PORTS.auth}`),
        pushUpstreams: PUSH_REPLICAS.map((name) => `${name}:${PORTS.push}`),
      },
    }),
  }));
}

/**
 * Prometheus scrapes what has metrics of its own: the replicas, Patroni, HAProxy, etcd, itself and
 * Alertmanager. (The Redis, nginx, PostgreSQL and machine exporters of `npm start` are not in the
 * Compose deployment: the alerts that read them stay silent.)
 */
async function monitoringFiles(secrets: ComposeSecrets): Promise<MemberFile[]> {
  const { cluster } = secrets;
  const files = {
    haproxy: '/etc/twofold/haproxy-password',
    prometheus: '/etc/twofold/prometheus-password',
    alertmanager: '/etc/twofold/alertmanager-password',
  };
  const own = (job: string, member: string, port: number, passwordFile?: string): ScrapeTarget => ({
    job,
    address: `${member}:${port}`,
    metricsPath: '/metrics',
    member,
    ...(passwordFile ? { basicAuth: { username: OPERATOR, passwordFile } } : {}),
  });
  const targets = [
    own('etcd', 'etcd', PORTS.etcdClient),
    ...POSTGRES_NODES.map((node) => own('patroni', node, PORTS.patroniRest)),
    own('haproxy', 'haproxy', PORTS.haproxyStats, files.haproxy),
    ...AUTH_REPLICAS.map((name) => own('auth', name, PORTS.auth)),
    ...PUSH_REPLICAS.map((name) => own('push', name, PORTS.push)),
    own('alertmanager', 'alertmanager', PORTS.alertmanager, files.alertmanager),
    own('prometheus', 'prometheus', PORTS.prometheus, files.prometheus),
  ];
  const web = (password: string) => renderWebConfig(bcrypt.hashSync(password, 10));
  return [
    {
      member: 'prometheus',
      name: 'prometheus.yml',
      content: renderScrapeConfig({
        targets,
        rulesFile: '/etc/twofold/alerts.yml',
        alertmanager: { address: `alertmanager:${PORTS.alertmanager}`, passwordFile: files.alertmanager },
      }),
    },
    { member: 'prometheus', name: 'alerts.yml', content: await readFile(ALERT_RULES_FILE, 'utf8') },
    { member: 'prometheus', name: 'web.yml', content: web(cluster.prometheusPassword) },
    { member: 'prometheus', name: 'haproxy-password', content: cluster.haproxyStatsPassword },
    { member: 'prometheus', name: 'prometheus-password', content: cluster.prometheusPassword },
    { member: 'prometheus', name: 'alertmanager-password', content: cluster.alertmanagerPassword },
    {
      member: 'alertmanager',
      name: 'alertmanager.yml',
      content: renderAlertmanagerConfig({
        smtpHost: 'mail',
        smtpPort: PORTS.smtp,
        to: alertEmail(),
        from: 'twofold-alerts@twofold.localhost',
      }),
    },
    { member: 'alertmanager', name: 'web.yml', content: web(cluster.alertmanagerPassword) },
    // Grafana (the `grafana` profile) reads Prometheus as `operator` too.
    { member: 'grafana', name: 'prometheus-password', content: cluster.prometheusPassword },
    { member: 'grafana', name: 'admin-password', content: secrets.grafanaAdmin },
  ];
}

/** Every member's files. Pure but for reading the templates and the salts of the bcrypt hashes. */
export async function renderComposeFiles(secrets: ComposeSecrets): Promise<MemberFile[]> {
  return [
    ...postgresFiles(secrets),
    ...haproxyFiles(secrets),
    ...redisFiles(secrets),
    ...replicaFiles(secrets),
    ...(await loadBalancerFiles()),
    ...(await monitoringFiles(secrets)),
  ];
}
