// Kills members during a run and restarts them, marking both on the timeline; while members are
// down it watches `twofold status` so the promotion of a new PostgreSQL primary or Redis master
// shows as a failover marker.
import { memberRoles, roleHolder, twofold } from './cluster-cli.ts';
import type { Kill } from './options.ts';
import type { Recorder } from './recorder.ts';

export interface KillRecord {
  /** As asked (`pg-primary`), and the member it was at the moment of the kill (`pg-1`). */
  asked: string;
  member: string;
  /** When `twofold kill` was asked to kill, and when it returned (the member is dead): the kill's moment. */
  killRequestedAtMs: number;
  killAtMs: number;
  restartedAtMs?: number;
  error?: string;
}

export interface ChaosOptions {
  kills: Kill[];
  restartAfterS: number;
  dataDir?: string;
  recorder: Recorder;
  /** Resolves `push-holder`: the push replica holding most of the run's phones. */
  pushHolder: () => string | undefined;
  log: (line: string) => void;
}

async function resolveMember(
  asked: string,
  options: ChaosOptions,
  known: Record<string, string | undefined>,
): Promise<string> {
  if (asked === 'push-holder') return options.pushHolder() ?? 'push-1';
  if (asked === 'pg-primary' || asked === 'redis-master') {
    // `twofold status` can take seconds on a loaded machine: the watcher's last look is used when it has one.
    const holder = known[asked] ?? roleHolder(await memberRoles(options.dataDir), asked);
    if (!holder) throw new Error(`no member holds ${asked} now`);
    return holder;
  }
  return asked;
}

export class Chaos {
  readonly records: KillRecord[] = [];
  private readonly pending: Promise<void>[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private watching: NodeJS.Timeout | undefined;
  /** The PostgreSQL primary and the Redis master at the watcher's last look. */
  private readonly holders: Record<string, string | undefined> = {};

  constructor(private readonly options: ChaosOptions) {}

  /** Schedules every kill relative to now (the run's start). */
  start(): void {
    for (const kill of this.options.kills) {
      const done = new Promise<void>((resolve) => {
        this.timers.push(setTimeout(() => void this.killAndRestart(kill).finally(resolve), kill.atS * 1000));
      });
      this.pending.push(done);
    }
    if (this.options.kills.length > 0) void this.watchRoles();
  }

  private async killAndRestart(kill: Kill): Promise<void> {
    const { recorder, log, dataDir } = this.options;
    const record: KillRecord = { asked: kill.member, member: kill.member, killRequestedAtMs: 0, killAtMs: 0 };
    this.records.push(record);
    try {
      record.member = await resolveMember(kill.member, this.options, this.holders);
      record.killRequestedAtMs = performance.now() - recorder.startedAt;
      await twofold(['kill', record.member], dataDir);
      const at = performance.now();
      record.killAtMs = at - recorder.startedAt;
      recorder.event(at, 'kill', `kill ${record.member}`);
      log(`chaos: killed ${record.member} at ${(record.killAtMs / 1000).toFixed(1)} s`);
      await new Promise((resolve) =>
        setTimeout(resolve, Math.max(0, at + this.options.restartAfterS * 1000 - performance.now())),
      );
      log(`chaos: restarting ${record.member}`);
      await twofold(['restart', record.member], dataDir, 180_000);
      const back = performance.now();
      record.restartedAtMs = back - recorder.startedAt;
      recorder.event(back, 'restart', `${record.member} restarted`);
      log(`chaos: ${record.member} back at ${(record.restartedAtMs / 1000).toFixed(1)} s`);
    } catch (error) {
      record.error = (error as Error).message;
      log(`chaos: ${kill.member}: ${record.error}`);
    }
  }

  private async watchRoles(): Promise<void> {
    let last: Record<string, string | undefined> = {};
    const look = async () => {
      try {
        const roles = await memberRoles(this.options.dataDir);
        const now: Record<string, string | undefined> = {
          'PostgreSQL primary': roleHolder(roles, 'pg-primary'),
          'Redis master': roleHolder(roles, 'redis-master'),
        };
        this.holders['pg-primary'] = now['PostgreSQL primary'];
        this.holders['redis-master'] = now['Redis master'];
        for (const [role, holder] of Object.entries(now)) {
          if (holder && last[role] && holder !== last[role]) {
            this.options.recorder.event(performance.now(), 'failover', `${role}: ${holder}`);
            this.options.log(`chaos: failover, ${role} is now ${holder}`);
          }
          if (holder) last = { ...last, [role]: holder };
        }
      } catch {} // status can fail while members are down; the next look tries again
      this.watching = setTimeout(() => void look(), 2_000);
    };
    await look();
  }

  /** Waits for every kill's restart (the cluster is left as found), then stops watching. */
  async finish(): Promise<void> {
    await Promise.all(this.pending);
    clearTimeout(this.watching);
    this.watching = undefined;
  }

  /** Before any kill happened (Ctrl-C): cancel the remaining ones. */
  cancelUnstarted(): void {
    for (const timer of this.timers) clearTimeout(timer);
  }
}
