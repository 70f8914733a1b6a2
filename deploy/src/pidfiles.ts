// The pid files the supervisor writes in <dataDir>/run: how a later command (or a forced stop)
// finds members it did not start itself.
import { readFileSync, unlinkSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { binaries } from './binaries.ts';
import { runDir } from './paths.ts';
import { commandLine, isAlive } from './proc.ts';

export interface RecordedMember {
  member: string;
  pid: number;
}

/**
 * Programs our members run, Debian's and Node (the replicas, the mail sink, the demo); a pid file
 * pointing at anything else is stale (the pid was reused).
 */
const MEMBER_PROGRAMS = new Set(['node', ...Object.values(binaries).map((binary) => binary.name)]);

/**
 * The program a command line runs: nginx and postgres rename their processes ("nginx: master
 * process ..."), so the first word counts; Patroni runs as `python3 /usr/bin/patroni`.
 */
export function programOf(argv: string[] | undefined): string | undefined {
  const first = argv?.[0] && path.basename(argv[0].split(/[\s:]/)[0] ?? '');
  if (first && /^python3?(\.\d+)?$/.test(first) && argv?.[1]) return path.basename(argv[1]);
  return first || undefined;
}

/** Members whose pid file names a live process of the expected kind. */
export async function liveRecordedMembers(dataDir: string): Promise<RecordedMember[]> {
  let files: string[];
  try {
    files = (await readdir(runDir(dataDir))).filter((file) => file.endsWith('.pid'));
  } catch {
    return [];
  }
  const members: RecordedMember[] = [];
  for (const file of files) {
    const pid = Number((await readFile(path.join(runDir(dataDir), file), 'utf8').catch(() => '')).trim());
    const name = pid > 0 && isAlive(pid) ? programOf(commandLine(pid)) : undefined;
    if (name && MEMBER_PROGRAMS.has(name)) members.push({ member: file.slice(0, -'.pid'.length), pid });
  }
  return members;
}

/** SIGKILL to each recorded member's whole process group (every member leads its own group). */
export async function killRecordedMembers(dataDir: string): Promise<RecordedMember[]> {
  const members = await liveRecordedMembers(dataDir);
  for (const { member, pid } of members) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
    await rm(path.join(runDir(dataDir), `${member}.pid`), { force: true });
  }
  return members;
}

/** Throws when the pid file names a live process running `command` (a member started earlier). */
export function refuseIfAlreadyRunning(member: string, command: string, pidFile: string): void {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
  } catch {
    return;
  }
  const program = pid > 0 && isAlive(pid) ? programOf(commandLine(pid)) : undefined;
  if (program && program === path.basename(command)) {
    throw new Error(
      `${member} is already running (pid ${pid}, from ${pidFile}); stop it before starting another`,
    );
  }
}

/** Removes the pid file if it still names `pid` (a newer start may have replaced it). */
export function removePidFile(pidFile: string, pid: number): void {
  try {
    if (Number(readFileSync(pidFile, 'utf8').trim()) === pid) unlinkSync(pidFile);
  } catch {
    // already gone
  }
}
