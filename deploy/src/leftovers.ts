// Member processes found from the data directory alone: pid files, plus the postmasters
// Patroni started in sessions of their own. What `down` kills when no supervisor is left, and
// what must not be running when a cluster starts.
import { readdir } from 'node:fs/promises';
import { killPostmaster, postmasterPid } from './patroni.ts';
import { killRecordedMembers, liveRecordedMembers, type RecordedMember } from './pidfiles.ts';

async function postmasters(dataDir: string): Promise<RecordedMember[]> {
  const entries = await readdir(dataDir).catch(() => [] as string[]);
  return entries
    .filter((entry) => /^pg-\d+$/.test(entry))
    .map((member) => ({ member: `${member} postmaster`, pid: postmasterPid(dataDir, member) ?? 0 }))
    .filter(({ pid }) => pid > 0);
}

export async function liveLeftovers(dataDir: string): Promise<RecordedMember[]> {
  return [...(await liveRecordedMembers(dataDir)), ...(await postmasters(dataDir))];
}

/** SIGKILL to every recorded member's process group and to each postmaster's. */
export async function killLeftovers(dataDir: string): Promise<RecordedMember[]> {
  const orphans = await postmasters(dataDir);
  const killed = await killRecordedMembers(dataDir);
  for (const { pid } of orphans) killPostmaster(pid);
  return [...killed, ...orphans];
}
