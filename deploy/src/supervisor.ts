// Owns the member processes: starts one with progress lines, kills or restarts it on request
// (never on its own: operators kill members on purpose to watch the failover), and stops
// them all in reverse order.
import type { ClusterContext, Launcher } from './cluster-launchers.ts';
import { type MemberKind, type MemberPlan, MemberRegistry, type RunningMember } from './members.ts';
import { memberLogFile } from './paths.ts';
import { clusterView, runningLeader } from './patroni-rest.ts';
import { killTree } from './proc.ts';
import { describeExit, type ExitInfo } from './process-handle.ts';

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

export interface SupervisorOptions {
  log: (line: string) => void;
  onMemberExit?: (member: string, info: ExitInfo) => void;
  signal?: AbortSignal;
}

/** Members of one group stop side by side (each auth or push replica drains for seconds). */
const STOP_GROUP: Partial<Record<MemberKind, string>> = {
  auth: 'replicas',
  push: 'replicas',
  nginx: 'nginx',
  sentinel: 'sentinel',
};

export class Supervisor {
  readonly registry: MemberRegistry;
  private stopping = false;
  private stopped: Promise<void> | undefined;
  /** kill and restart run one at a time, so two of them never race on one member. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly ctx: ClusterContext,
    private readonly launchers: Map<string, Launcher>,
    private readonly options: SupervisorOptions,
  ) {
    this.registry = new MemberRegistry(ctx.plan);
  }

  plan(name: string): MemberPlan {
    const found = this.ctx.plan.find((member) => member.name === name);
    if (!found) throw new Error(`no member "${name}"`);
    return found;
  }

  private say(name: string, message: string) {
    this.options.log(`${name.padEnd(10)} ${message}`);
  }

  async start(name: string, verb = 'starting'): Promise<RunningMember> {
    this.options.signal?.throwIfAborted();
    if (this.stopping) throw new Error(`the cluster is stopping; ${name} is not started`);
    const plan = this.plan(name);
    const launch = this.launchers.get(name) as Launcher;
    const logFile = memberLogFile(this.ctx.dataDir, name);
    this.say(name, `${verb} ${plan.title} on 127.0.0.1:${plan.port} (log: ${logFile})`);
    const began = Date.now();
    let started: Omit<RunningMember, 'plan'>;
    try {
      started = await launch();
    } catch (error) {
      throw error instanceof MemberStartError ? error : new MemberStartError(name, logFile, error);
    }
    const member = { ...started, plan };
    this.registry.set(member);
    started.handle.onExit((info) => {
      if (info.expected || this.stopping) return;
      this.say(name, `${describeExit(info)} unexpectedly (log: ${logFile})`);
      this.options.onMemberExit?.(name, info);
    });
    this.say(name, `ready in ${((Date.now() - began) / 1000).toFixed(1)}s`);
    return member;
  }

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const result = this.queue.then(work, work);
    this.queue = result.catch(() => {});
    return result;
  }

  /** SIGKILL to every process of the member (pg-N: Patroni and its postmaster), or SIGTERM. */
  kill(name: string, { graceful = false } = {}): Promise<void> {
    return this.serialized(async () => {
      const member = this.registry.get(name);
      if (!member?.handle.running) throw new Error(`${name} is not running`);
      const signal = graceful ? 'SIGTERM' : 'SIGKILL';
      member.handle.expectExit();
      member.handle.note(`${signal} on request (twofold kill)`);
      this.say(name, `killing with ${signal} (pid ${member.handle.pid})`);
      if (graceful) {
        member.handle.signal('SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          member.handle.exited,
          new Promise((resolve) => (timer = setTimeout(resolve, 60_000))),
        ]);
        clearTimeout(timer);
        // Still running after a minute: the polite stop, then SIGKILL. Gone: waits for a
        // Patroni node's postmaster to finish its shutdown too.
        await member.stop();
      } else if (member.kill) await member.kill();
      else killTree(member.handle.pid);
      const info = await member.handle.exited;
      this.say(name, describeExit(info));
    });
  }

  /** Starts the member again (as a replica where it was a primary); stops it first if it runs. */
  restart(name: string): Promise<void> {
    return this.serialized(async () => {
      const member = this.registry.get(name);
      if (member) {
        if (member.handle.running) this.say(name, 'stopping');
        await member.stop();
      }
      await this.start(name, 'restarting');
    });
  }

  /** Every member in reverse start order; safe to call more than once. */
  stopAll(): Promise<void> {
    this.stopped ??= this.queue.then(() => this.stopEverything());
    return this.stopped;
  }

  private async stopEverything(): Promise<void> {
    this.stopping = true;
    const failures: string[] = [];
    const groups = await this.stopGroups();
    for (const group of groups) {
      await Promise.all(
        group.map(async (member) => {
          try {
            if (member.handle.running) this.say(member.plan.name, 'stopping');
            await member.stop();
            this.registry.remove(member.plan.name);
          } catch (error) {
            failures.push(`${member.plan.name}: ${(error as Error).message}`);
          }
        }),
      );
    }
    if (failures.length > 0) throw new Error(`could not stop every member:\n${failures.join('\n')}`);
  }

  /**
   * Reverse start order, in groups stopped together. The PostgreSQL leader goes after its
   * replica: stopped first, it would hand its lock to the replica just before that one stops too.
   */
  private async stopGroups(): Promise<RunningMember[][]> {
    const members = this.registry.list().reverse();
    const leader = runningLeader(await clusterView(this.ctx.ports.patroni, 1000));
    const postgres = members.filter((member) => member.plan.kind === 'postgres');
    postgres.sort((a, b) => Number(a.plan.name === leader) - Number(b.plan.name === leader));
    const ordered = members.map((member) =>
      member.plan.kind === 'postgres' ? (postgres.shift() as RunningMember) : member,
    );
    const groups: RunningMember[][] = [];
    for (const member of ordered) {
      const last = groups.at(-1);
      const group = STOP_GROUP[member.plan.kind];
      if (last && group && last[0] && STOP_GROUP[last[0].plan.kind] === group) last.push(member);
      else groups.push([member]);
    }
    return groups;
  }
}
