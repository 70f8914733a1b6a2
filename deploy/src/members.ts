// The cluster's members under stable names (etcd, pg-1, pg-2, haproxy, redis-1, redis-2,
// sentinel-1..3, mail, auth-1..N, push-1, push-2, the monitoring members, demo, lb-a, lb-b), in
// start order. Commands address
// members by these names; the registry holds the process each one runs now.
import type { PortMap } from './ports.ts';
import { descendants, isAlive } from './proc.ts';
import type { ProcessHandle } from './process-handle.ts';

export type MemberKind =
  | 'etcd'
  | 'postgres'
  | 'haproxy'
  | 'redis'
  | 'sentinel'
  | 'mail'
  | 'auth'
  | 'push'
  | 'demo'
  | 'nginx'
  | 'exporter'
  | 'alertmanager'
  | 'prometheus';

export interface MemberPlan {
  name: string;
  kind: MemberKind;
  /** The port clients use (PostgreSQL's, not Patroni's; HAProxy's read-write port; the mail sink's SMTP). */
  port: number;
  /** What it is, for humans. */
  title: string;
}

const TITLES: Record<MemberKind, string> = {
  etcd: 'etcd (Patroni DCS)',
  postgres: 'PostgreSQL under Patroni',
  haproxy: 'HAProxy for PostgreSQL',
  redis: 'Redis',
  sentinel: 'Redis Sentinel',
  mail: 'SMTP sink (development mail)',
  auth: 'auth replica',
  push: 'push gateway replica',
  demo: 'demo application (who am I) behind forward auth',
  nginx: 'nginx load balancer',
  exporter: 'Prometheus exporter',
  alertmanager: 'Alertmanager (alerts by mail)',
  prometheus: 'Prometheus (metrics and alert rules)',
};

/** The exporters, by member name: what each one exports for Prometheus. */
export const EXPORTERS = {
  'node-exporter': 'the machine (CPU, memory, disks)',
  'redis-exporter': 'redis-1, redis-2 and the Sentinels',
  'postgres-exporter': 'pg-1 and pg-2',
  'nginx-exporter-a': 'lb-a (its stub_status)',
  'nginx-exporter-b': 'lb-b (its stub_status)',
} as const;
export type ExporterName = keyof typeof EXPORTERS;

/** Every member of a cluster on these ports, in the order they must start (stop is the reverse). */
export function planMembers(ports: PortMap): MemberPlan[] {
  const member = (name: string, kind: MemberKind, port: number) => ({
    name,
    kind,
    port,
    title: TITLES[kind],
  });
  return [
    member('etcd', 'etcd', ports.etcd.client),
    ...ports.postgres.map((port, i) => member(`pg-${i + 1}`, 'postgres', port)),
    member('haproxy', 'haproxy', ports.haproxy.readWrite),
    ...ports.redis.map((port, i) => member(`redis-${i + 1}`, 'redis', port)),
    ...ports.sentinels.map((port, i) => member(`sentinel-${i + 1}`, 'sentinel', port)),
    member('mail', 'mail', ports.mail.smtp),
    ...ports.auth.map((port, i) => member(`auth-${i + 1}`, 'auth', port)),
    ...ports.push.map((port, i) => member(`push-${i + 1}`, 'push', port)),
    // Started beside the replicas (they need nothing of them).
    member('node-exporter', 'exporter', ports.monitoring.nodeExporter),
    member('redis-exporter', 'exporter', ports.monitoring.redisExporter),
    member('postgres-exporter', 'exporter', ports.monitoring.postgresExporter),
    member('alertmanager', 'alertmanager', ports.monitoring.alertmanager),
    member('prometheus', 'prometheus', ports.monitoring.prometheus),
    member('demo', 'demo', ports.demo),
    member('lb-a', 'nginx', ports.lbA),
    member('lb-b', 'nginx', ports.lbB),
    // After their load balancer: prometheus-nginx-exporter reads its stub_status as it starts.
    member('nginx-exporter-a', 'exporter', ports.monitoring.nginxExporters[0] as number),
    member('nginx-exporter-b', 'exporter', ports.monitoring.nginxExporters[1] as number),
  ];
}

export interface RunningMember {
  plan: MemberPlan;
  handle: ProcessHandle;
  url: string;
  /** Stops it politely (forcibly after a timeout); resolves once every process of it is gone. */
  stop(): Promise<void>;
  /** SIGKILL to every process the member is (pg-N: Patroni and its postmaster). */
  kill?(): Promise<void>;
  /** Every live process of the member, when that is more than its process tree. */
  pids?(): number[];
}

/** The live processes a member is: its own tree, plus what it started outside it (postmasters). */
export function memberProcesses(member: RunningMember): number[] {
  return (
    member.pids?.() ?? [member.handle.pid, ...descendants(member.handle.pid)].filter((pid) => isAlive(pid))
  );
}

export class MemberRegistry {
  private readonly members = new Map<string, RunningMember>();

  /** `plan` fixes the order of list(), whatever order the members became ready in. */
  constructor(private readonly plan: MemberPlan[]) {}

  /** Records the member's current process (a restart replaces the previous one). */
  set(member: RunningMember): void {
    this.members.set(member.plan.name, member);
  }

  get(name: string): RunningMember | undefined {
    return this.members.get(name);
  }

  /** In start order. */
  list(): RunningMember[] {
    const rank = (member: RunningMember) =>
      this.plan.findIndex((planned) => planned.name === member.plan.name);
    return [...this.members.values()].sort((a, b) => rank(a) - rank(b));
  }

  remove(name: string): void {
    this.members.delete(name);
  }
}
