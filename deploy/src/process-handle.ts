// One supervised child process: output appended to its own log file, pid remembered (and
// written to a pid file for later `status`/`down`), stopped politely then forcibly, and an
// exit we did not ask for reported to whoever listens.
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, closeSync, openSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensureDir } from './files.ts';
import { refuseIfAlreadyRunning, removePidFile } from './pidfiles.ts';
import { waitForHttp } from './wait.ts';

/** How a member's process relates to this Node process. */
export interface ChildOptions {
  /** false: the child does not keep the Node event loop alive (test helpers). */
  ref?: boolean;
  /**
   * true (default): the child leads its own process group, so a Ctrl-C in the terminal reaches
   * only the supervisor, which stops members in order, and a forced stop can kill the whole
   * group. false: it stays in our group and gets the terminal's Ctrl-C itself (tests, where
   * an interrupted run must not leave servers behind).
   */
  detached?: boolean;
}

export interface ProcessSpec extends ChildOptions {
  /** Stable member name (pg-1, redis-1, auth-1, lb-a...), used in messages. */
  member: string;
  command: string;
  args: string[];
  logFile: string;
  pidFile?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Run as another user (we are root and PostgreSQL refuses root). */
  user?: { uid: number; gid: number };
  /** Signal asking for a clean shutdown (PostgreSQL wants SIGINT: "fast" shutdown). */
  stopSignal?: NodeJS.Signals;
  stopTimeoutMs?: number;
  /** A one-shot command (initdb): exiting on its own is what it is meant to do. */
  exits?: boolean;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** true when stop() asked for it. */
  expected: boolean;
}

export function describeExit(info: ExitInfo): string {
  return info.signal ? `was killed by ${info.signal}` : `exited with code ${info.code}`;
}

export class ProcessHandle {
  readonly member: string;
  readonly pid: number;
  readonly logFile: string;
  readonly exited: Promise<ExitInfo>;
  private stopping = false;
  private exitInfo: ExitInfo | undefined;
  private readonly listeners: Array<(info: ExitInfo) => void> = [];

  constructor(
    private readonly spec: ProcessSpec,
    child: ChildProcess & { pid: number },
  ) {
    this.member = spec.member;
    this.pid = child.pid;
    this.logFile = spec.logFile;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        const expected = this.stopping || spec.exits === true;
        this.exitInfo = { code, signal, expected };
        this.note(`${describeExit(this.exitInfo)}${expected ? '' : ' (unexpected)'}`);
        if (spec.pidFile) removePidFile(spec.pidFile, this.pid);
        resolve(this.exitInfo);
        for (const listener of this.listeners) listener(this.exitInfo);
      });
    });
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  /** Called once when the process exits, whether or not stop() asked for it. */
  onExit(listener: (info: ExitInfo) => void): void {
    if (this.exitInfo) listener(this.exitInfo);
    else this.listeners.push(listener);
  }

  /** Rejects once the process exits: pass it as `abort` to a readiness wait. */
  failOnExit(): Promise<never> {
    const failed = this.exited.then((info): never => {
      throw new Error(`${this.member} ${describeExit(info)}`);
    });
    failed.catch(() => {});
    return failed;
  }

  /** The next exit is wanted (an operator's kill): it is not reported as unexpected. */
  expectExit(): void {
    this.stopping = true;
  }

  /** Send a signal to the process, or with group=true to its whole process group. */
  signal(signal: NodeJS.Signals, group = false): void {
    try {
      // Only a detached child leads a group of its own; otherwise the group is ours.
      process.kill(group && this.spec.detached !== false ? -this.pid : this.pid, signal);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }

  /** Stop signal, then SIGKILL to the whole group after the timeout; resolves once it is gone. */
  async stop(timeoutMs = this.spec.stopTimeoutMs ?? 10_000): Promise<ExitInfo> {
    if (!this.exitInfo) {
      this.stopping = true;
      const stopSignal = this.spec.stopSignal ?? 'SIGTERM';
      this.note(`stopping with ${stopSignal}`);
      this.signal(stopSignal);
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), timeoutMs);
      });
      const info = await Promise.race([this.exited, timedOut]);
      clearTimeout(timer);
      if (!info) {
        this.note(`still running after ${timeoutMs} ms, sending SIGKILL`);
        this.signal('SIGKILL', true);
      }
    }
    const info = await this.exited;
    // The leader is gone; a worker it left behind (its group shares the leader's pid) must not linger.
    if (this.spec.detached !== false && groupExists(this.pid)) this.signal('SIGKILL', true);
    return info;
  }

  /** A supervisor line in the member's log, so the log tells the whole story. */
  note(message: string): void {
    try {
      appendFileSync(this.logFile, `--- twofold ${new Date().toISOString()} ${this.member}: ${message}\n`);
    } catch {
      // the data directory may already be gone
    }
  }
}

export async function startProcess(spec: ProcessSpec): Promise<ProcessHandle> {
  await ensureDir(path.dirname(spec.logFile));
  if (spec.pidFile) {
    await ensureDir(path.dirname(spec.pidFile));
    refuseIfAlreadyRunning(spec.member, spec.command, spec.pidFile);
  }
  const fd = openSync(spec.logFile, 'a', 0o600);
  let child: ChildProcess;
  try {
    appendFileSync(
      fd,
      `--- twofold ${new Date().toISOString()} ${spec.member}: starting ${spec.command} ${spec.args.join(' ')}\n`,
    );
    child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      stdio: ['ignore', fd, fd],
      detached: spec.detached !== false,
      uid: spec.user?.uid,
      gid: spec.user?.gid,
    });
  } finally {
    closeSync(fd);
  }
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (error) =>
      reject(new Error(`${spec.member}: cannot run ${spec.command}: ${error.message}`)),
    );
  });
  const handle = new ProcessHandle(spec, child as ChildProcess & { pid: number });
  if (spec.pidFile) writeFileSync(spec.pidFile, `${handle.pid}\n`, { mode: 0o644 });
  if (spec.ref === false) child.unref();
  return handle;
}

function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits until the member is ready; if it never gets there, stops it so nothing is left half-started. */
export async function readyOrStop(handle: ProcessHandle, ready: Promise<unknown>): Promise<void> {
  try {
    await ready;
  } catch (error) {
    await handle.stop();
    throw error;
  }
}

/** Ready once `url` answers 200; a member that exits first, or never gets there in time, is stopped. */
export function readyOnHttp(
  handle: ProcessHandle,
  url: string,
  description: string,
  timeoutMs: number,
  headers?: Record<string, string>,
): Promise<void> {
  return readyOrStop(
    handle,
    waitForHttp(url, { description, timeoutMs, abort: handle.failOnExit(), headers }),
  );
}

/** The `stop()` of a member that is just its process. */
export function stopperOf(handle: ProcessHandle): () => Promise<void> {
  return async () => {
    await handle.stop();
  };
}
