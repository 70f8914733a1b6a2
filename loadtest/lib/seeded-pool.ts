// Users made in bulk by loadtest/seed.ts: their credentials are derived, not stored, so a pool of
// any size is drawn at random from the seeded range (a million users stay a million, not a list).
import { randomBytes, randomInt } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type Seed, seededUser, seedKeyFile } from '../seeded-users.ts';
import { clientAddress } from './addresses.ts';
import { totpStep } from './totp.ts';
import type { PoolUser } from './user-pool.ts';

/**
 * The TOTP steps a run spent, by username, next to the seed's key: the service refuses a code of a
 * step already used, so a run started within a minute of another must not send those again.
 */
export const spentStepsFile = (dataDir: string, seedName: string): string =>
  path.join(path.dirname(seedKeyFile(dataDir, seedName)), `seed-${seedName}.spent-steps.json`);

async function readSpentSteps(file: string): Promise<Record<string, number>> {
  try {
    const spent: unknown = JSON.parse(await readFile(file, 'utf8'));
    return typeof spent === 'object' && spent !== null ? (spent as Record<string, number>) : {};
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || error instanceof SyntaxError) return {};
    throw error;
  }
}

/** Marks in `users` the steps earlier runs spent. */
export async function recallSpentSteps(file: string, users: PoolUser[]): Promise<void> {
  const spent = await readSpentSteps(file);
  for (const user of users) user.lastStep = Math.max(user.lastStep, spent[user.username] ?? -1);
}

/**
 * Adds the steps `users` spent to the file. A step older than the one before the current can never
 * be accepted again (the service allows one step either side), so those entries are dropped.
 */
export async function rememberSpentSteps(file: string, users: PoolUser[], now = Date.now()): Promise<void> {
  const oldestThatCounts = totpStep(now) - 1;
  const spent = await readSpentSteps(file);
  for (const user of users) spent[user.username] = Math.max(user.lastStep, spent[user.username] ?? -1);
  const kept = Object.fromEntries(Object.entries(spent).filter(([, step]) => step >= oldestThatCounts));
  // Renamed into place: a run starting meanwhile reads the old file or the new one, never half of one.
  const partial = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(partial, JSON.stringify(kept), { mode: 0o600 });
  await rename(partial, file);
}

export function seededPool(seed: Seed, count: number, size: number): PoolUser[] {
  const wanted = Math.min(size, count);
  const picked = new Set<number>();
  // A dense pick walks the range; a sparse one draws at random so the whole table is touched.
  if (wanted * 2 > count) for (let i = 0; i < wanted; i += 1) picked.add(i);
  else while (picked.size < wanted) picked.add(randomInt(0, count));
  return [...picked].map((index) => ({
    ...seededUser(seed, index),
    address: clientAddress(index),
    lastStep: -1,
  }));
}
