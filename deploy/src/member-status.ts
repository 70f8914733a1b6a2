// What `status` says about each member: its role now (asked from the member itself: Patroni's
// REST API, Redis's INFO replication) and whether it does its job, probed with short timeouts.
import { demoAppHosts } from './cookie-domain.ts';
import { getText } from './http-json.ts';
import type { MemberKind, MemberPlan, RunningMember } from './members.ts';
import { operatorAuthorization } from './monitoring.ts';
import { nodeStatus } from './patroni-rest.ts';
import type { PortMap } from './ports.ts';
import { redisOperatorAuth } from './redis.ts';
import { redisCommand, redisInfo } from './redis-protocol.ts';
import type { ClusterSecrets } from './secrets.ts';
import { sentinelAuth } from './sentinel.ts';
import { SENTINEL_MASTER_NAME } from './sentinel-config.ts';
import { canConnect, httpStatus } from './wait.ts';

export interface MemberStatus {
  name: string;
  kind: MemberKind;
  /** pg-N: primary, sync_standby, replica, stopped...; redis-N: master, replica, stopped; else the kind. */
  role: string;
  /** The member's main process (pg-N: Patroni), null when it is not running. */
  pid: number | null;
  port: number;
  healthy: boolean;
  /** One line for humans (what it replicates from, which node HAProxy sends writes to...). */
  detail: string;
}

const KIND_ROLES: Record<MemberKind, string> = {
  etcd: 'etcd',
  postgres: 'postgres',
  haproxy: 'haproxy',
  redis: 'redis',
  sentinel: 'sentinel',
  mail: 'mail-sink',
  auth: 'auth',
  push: 'push',
  demo: 'demo-app',
  nginx: 'load-balancer',
  exporter: 'exporter',
  alertmanager: 'alertmanager',
  prometheus: 'prometheus',
};

type Probe = { role?: string; healthy: boolean; detail?: string };

/** What status says beyond the members themselves (where the demo applications are reached). */
export interface StatusContext {
  cookieDomain?: string;
}

async function probe(
  plan: MemberPlan,
  ports: PortMap,
  secrets: ClusterSecrets,
  context: StatusContext,
): Promise<Probe> {
  const index = Number(plan.name.split('-')[1]) - 1;
  switch (plan.kind) {
    case 'etcd':
      return { healthy: (await httpStatus(`http://127.0.0.1:${plan.port}/health`, 1500)) === 200 };
    case 'postgres': {
      const node = await nodeStatus(ports.patroni[index] as number);
      return { role: node.role, healthy: node.running, detail: `Patroni REST :${ports.patroni[index]}` };
    }
    case 'haproxy':
      return haproxyProbe(ports.haproxy.stats, secrets.haproxyStatsPassword);
    case 'redis': {
      const info = await redisInfo(plan.port, 'replication', { auth: redisOperatorAuth(secrets.redis) });
      if (info.role === 'master')
        return { role: 'master', healthy: true, detail: `${info.connected_slaves ?? 0} replica(s)` };
      const up = info.master_link_status === 'up';
      const detail = `replica of :${info.master_port} (link ${info.master_link_status})`;
      return { role: 'replica', healthy: up, detail };
    }
    case 'sentinel': {
      const reply = await redisCommand(
        plan.port,
        ['SENTINEL', 'get-master-addr-by-name', SENTINEL_MASTER_NAME],
        {
          auth: sentinelAuth(secrets.redis),
        },
      );
      const port = Array.isArray(reply) ? reply[1] : undefined;
      return { healthy: port !== undefined, detail: `sees master at :${port}` };
    }
    case 'mail': {
      const page = `http://127.0.0.1:${ports.mail.http}/`;
      return {
        healthy: (await httpStatus(`${page}healthz`, 1500)) === 200,
        detail: `caught mails at ${page}`,
      };
    }
    case 'demo': {
      const healthy = (await httpStatus(`http://127.0.0.1:${plan.port}/healthz`, 1500)) === 200;
      const hosts = context.cookieDomain ? demoAppHosts(context.cookieDomain) : [];
      return { healthy, detail: hosts.map((host) => `http://${host}:${ports.lbA}/`).join(', ') };
    }
    case 'auth':
    case 'push':
      return { healthy: (await httpStatus(`http://127.0.0.1:${plan.port}/readyz`, 1500)) === 200 };
    case 'nginx':
      return { healthy: await canConnect(plan.port) };
    case 'exporter': {
      const path = plan.name === 'redis-exporter' ? 'health' : 'metrics';
      return { healthy: (await httpStatus(`http://127.0.0.1:${plan.port}/${path}`, 1500)) === 200 };
    }
    case 'alertmanager': {
      const authorization = operatorAuthorization(secrets.alertmanagerPassword);
      const status = await httpStatus(`http://127.0.0.1:${plan.port}/-/ready`, 1500, { authorization });
      return { healthy: status === 200 };
    }
    case 'prometheus':
      return prometheusProbe(plan.port, operatorAuthorization(secrets.prometheusPassword));
  }
}

/** Ready, and how many of its scrape targets are up (what an operator wants from it first). */
async function prometheusProbe(port: number, authorization: string): Promise<Probe> {
  const status = await httpStatus(`http://127.0.0.1:${port}/-/ready`, 1500, { authorization });
  const healthy = status === 200;
  if (!healthy) return { healthy };
  const url = `http://127.0.0.1:${port}/api/v1/targets?state=active`;
  const body = JSON.parse(await getText(url, 1500, { authorization })) as {
    data: { activeTargets: Array<{ health: string }> };
  };
  const targets = body.data.activeTargets;
  const up = targets.filter((target) => target.health === 'up').length;
  return { healthy, detail: `${up}/${targets.length} targets up, http://127.0.0.1:${port}/` };
}

/** Which PostgreSQL node HAProxy's read-write port sends clients to, from its CSV stats. */
async function haproxyProbe(statsPort: number, password: string): Promise<Probe> {
  const authorization = `Basic ${Buffer.from(`operator:${password}`).toString('base64')}`;
  const csv = await getText(`http://127.0.0.1:${statsPort}/stats;csv`, 1500, { authorization });
  const up = (proxy: string) =>
    csv
      .split('\n')
      .map((line) => line.split(','))
      .filter((fields) => fields[0] === proxy && fields[17] === 'UP' && fields[1] !== 'BACKEND')
      .map((fields) => fields[1]);
  const rw = up('postgres_rw');
  return {
    healthy: true,
    detail: `rw -> ${rw.join(',') || 'none'}, ro -> ${up('postgres_ro').join(',') || 'none'}`,
  };
}

export async function memberStatus(
  plan: MemberPlan,
  running: RunningMember | undefined,
  ports: PortMap,
  secrets: ClusterSecrets,
  context: StatusContext = {},
): Promise<MemberStatus> {
  const base = { name: plan.name, kind: plan.kind, port: plan.port };
  const stoppedRole = plan.kind === 'postgres' || plan.kind === 'redis' ? 'stopped' : KIND_ROLES[plan.kind];
  if (!running?.handle.running) {
    return { ...base, role: stoppedRole, pid: null, healthy: false, detail: 'not running' };
  }
  try {
    const result = await probe(plan, ports, secrets, context);
    return {
      ...base,
      role: result.role ?? KIND_ROLES[plan.kind],
      pid: running.handle.pid,
      healthy: result.healthy,
      detail: result.detail ?? '',
    };
  } catch (error) {
    const role = plan.kind === 'postgres' || plan.kind === 'redis' ? 'unknown' : KIND_ROLES[plan.kind];
    return { ...base, role, pid: running.handle.pid, healthy: false, detail: (error as Error).message };
  }
}
