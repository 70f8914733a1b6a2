// Users made in bulk by loadtest/seed.ts: their credentials are derived, not stored, so a pool of
// any size is drawn at random from the seeded range (a million users stay a million, not a list).
import { randomInt } from 'node:crypto';
import { type Seed, seededUser } from '../seeded-users.ts';
import { clientAddress } from './addresses.ts';
import type { PoolUser } from './user-pool.ts';

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
