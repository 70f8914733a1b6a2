// The cluster's processes as the capacity benchmark sees them: members from `twofold status --json`,
// their resident memory, and CPU time per group of processes (a member and all its descendants, e.g.
// Patroni's postmaster and backends) read from /proc between two moments, next to the whole machine's.
import { execFile, execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../deploy/src/paths.ts';
import { procStatusKiB } from './push-support.ts';

export interface Member {
  name: string;
  kind: string;
  /** primary, master, replica... */
  role: string;
  pid: number | null;
  port: number;
  healthy: boolean;
}

export async function clusterMembers(dataDir: string): Promise<Member[]> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [path.join(repoRoot, 'bin', 'twofold.js'), 'status', '--data-dir', dataDir, '--json'],
    { timeout: 30_000 },
  );
  return JSON.parse(stdout) as Member[];
}

export function rssKiB(pid: number): number | undefined {
  try {
    return procStatusKiB(pid, 'VmRSS');
  } catch {
    return undefined;
  }
}

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

interface ProcStat {
  ppid: number;
  ticks: number;
}

/** ppid and utime+stime of every process now (fields 4, 14, 15 of /proc/<pid>/stat). */
function allProcesses(): Map<number, ProcStat> {
  const stats = new Map<number, ProcStat>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const text = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name (field 2) may hold spaces and parentheses: fields count from its last ')'.
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      stats.set(Number(entry), {
        ppid: Number(fields[1]),
        ticks: Number(fields[11]) + Number(fields[12]),
      });
    } catch {}
  }
  return stats;
}

/** A named set of processes: `roots`, and with `withDescendants` every process below them. */
export interface ProcessGroup {
  name: string;
  roots: number[];
  withDescendants: boolean;
}

function groupTicks(group: ProcessGroup, stats: Map<number, ProcStat>): number {
  const members = new Set(group.roots.filter((pid) => stats.has(pid)));
  if (group.withDescendants) {
    let grew = true;
    while (grew) {
      grew = false;
      for (const [pid, stat] of stats) {
        if (!members.has(pid) && members.has(stat.ppid)) {
          members.add(pid);
          grew = true;
        }
      }
    }
  }
  let ticks = 0;
  for (const pid of members) ticks += stats.get(pid)?.ticks ?? 0;
  return ticks;
}

/** Busy jiffies of the whole machine (all cores), from the first line of /proc/stat. */
function machineBusyTicks(): number {
  const [, ...values] = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = values.map(Number) as number[];
  void idle;
  void iowait;
  return (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0);
}

export interface CpuSample {
  at: number;
  groups: Map<string, number>;
  machine: number;
}

export function sampleCpu(groups: ProcessGroup[]): CpuSample {
  const stats = allProcesses();
  return {
    at: performance.now(),
    groups: new Map(groups.map((group) => [group.name, groupTicks(group, stats)])),
    machine: machineBusyTicks(),
  };
}

/** CPU seconds per group between two samples, and what the rest of the machine used meanwhile. */
export function cpuBetween(
  before: CpuSample,
  after: CpuSample,
): { seconds: number; groups: Map<string, number>; rest: number } {
  const groups = new Map<string, number>();
  let ours = 0;
  for (const [name, ticks] of after.groups) {
    const used = (ticks - (before.groups.get(name) ?? 0)) / CLOCK_TICKS;
    groups.set(name, used);
    ours += used;
  }
  const machine = (after.machine - before.machine) / CLOCK_TICKS;
  return { seconds: (after.at - before.at) / 1000, groups, rest: Math.max(0, machine - ours) };
}

/** The groups the report breaks a cluster phase's CPU into; `lbPort` names the load balancer used. */
export function clusterGroups(members: Member[], lbPort: number): ProcessGroup[] {
  const pids = (keep: (member: Member) => boolean) =>
    members.filter((m) => m.pid !== null && keep(m)).map((m) => m.pid as number);
  const isLb = (m: Member) => m.kind === 'nginx' && m.port === lbPort;
  const isAuth = (m: Member) => m.kind === 'auth';
  const isRedis = (m: Member) => m.kind === 'redis' || m.kind === 'sentinel';
  const isPg = (m: Member) => m.kind === 'postgres' || m.kind === 'haproxy' || m.kind === 'etcd';
  return [
    { name: 'bench client (this process)', roots: [process.pid], withDescendants: false },
    { name: 'load balancer (nginx)', roots: pids(isLb), withDescendants: true },
    { name: 'auth replicas', roots: pids(isAuth), withDescendants: true },
    { name: 'redis + sentinels', roots: pids(isRedis), withDescendants: true },
    { name: 'postgres + patroni + haproxy + etcd', roots: pids(isPg), withDescendants: true },
    {
      name: 'other members (push, lb-b, monitoring...)',
      roots: pids((m) => !isLb(m) && !isAuth(m) && !isRedis(m) && !isPg(m)),
      withDescendants: true,
    },
  ];
}
