// The cluster's members under stable names (pg-1, redis-1, auth-1..N, lb-a, lb-b), in start
// order. Commands address members by these names; the registry holds the running ones.
import type { PortMap } from './ports.ts';
import type { ProcessHandle } from './process-handle.ts';

export type MemberKind = 'postgres' | 'redis' | 'auth' | 'nginx';

export interface MemberPlan {
  name: string;
  kind: MemberKind;
  port: number;
  /** What it is, for humans. */
  title: string;
}

const TITLES: Record<MemberKind, string> = {
  postgres: 'PostgreSQL',
  redis: 'Redis',
  auth: 'auth replica',
  nginx: 'nginx load balancer',
};

/** Every member of a cluster on these ports, in the order they must start (stop is the reverse). */
export function planMembers(ports: PortMap): MemberPlan[] {
  const member = (name: string, kind: MemberKind, port: number) => ({
    name,
    kind,
    port,
    title: TITLES[kind],
  });
  return [
    member('pg-1', 'postgres', ports.postgres),
    member('redis-1', 'redis', ports.redis),
    ...ports.auth.map((port, i) => member(`auth-${i + 1}`, 'auth', port)),
    member('lb-a', 'nginx', ports.lbA),
    member('lb-b', 'nginx', ports.lbB),
  ];
}

export interface RunningMember {
  plan: MemberPlan;
  handle: ProcessHandle;
  url: string;
  stop(): Promise<void>;
}

export class MemberRegistry {
  private readonly members = new Map<string, RunningMember>();

  /** `plan` fixes the order of list(), whatever order the members became ready in. */
  constructor(private readonly plan: MemberPlan[]) {}

  add(member: RunningMember): void {
    if (this.members.has(member.plan.name))
      throw new Error(`member ${member.plan.name} is already registered`);
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
