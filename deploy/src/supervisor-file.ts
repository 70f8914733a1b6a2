// <dataDir>/run/supervisor.json: which `up` process owns the cluster (so `down` can find it
// even while it is still starting) and on which port base.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { ensureDir } from './files.ts';
import { runDir, supervisorFile } from './paths.ts';
import { commandLine, isAlive } from './proc.ts';

export interface SupervisorInfo {
  pid: number;
  portBase: number;
  startedAt: string;
}

export async function writeSupervisorFile(dataDir: string, portBase: number): Promise<void> {
  await ensureDir(runDir(dataDir), 0o700);
  const info: SupervisorInfo = { pid: process.pid, portBase, startedAt: new Date().toISOString() };
  await writeFile(supervisorFile(dataDir), `${JSON.stringify(info)}\n`, { mode: 0o600 });
}

/** The owning `up` process, when it is still alive (and still a Node process: pids get reused). */
export async function liveSupervisor(dataDir: string): Promise<SupervisorInfo | undefined> {
  let info: SupervisorInfo;
  try {
    info = JSON.parse(await readFile(supervisorFile(dataDir), 'utf8'));
  } catch {
    return undefined;
  }
  const argv = isAlive(info.pid) ? commandLine(info.pid) : undefined;
  return argv?.some((arg) => /node|twofold|cli\.ts/.test(arg)) ? info : undefined;
}

export async function removeSupervisorFile(dataDir: string): Promise<void> {
  const current = await readFile(supervisorFile(dataDir), 'utf8').catch(() => '');
  if (current.includes(`"pid":${process.pid},`)) await rm(supervisorFile(dataDir), { force: true });
}
