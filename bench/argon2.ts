import { PasswordHasher } from '../services/auth/src/lib/passwords.ts';

const PARAMS = [
  { label: 'OWASP minimum (default)', memoryKiB: 19_456, timeCost: 2, parallelism: 1 },
  { label: 'OWASP alternative', memoryKiB: 47_104, timeCost: 1, parallelism: 1 },
  { label: 'RFC 9106 second choice', memoryKiB: 65_536, timeCost: 3, parallelism: 4 },
];
const RUNS = 20;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** Time of one argon2id hash and one verification at each parameter set, measured back to back. */
export async function benchArgon2(): Promise<void> {
  console.log(`argon2id, ${RUNS} sequential runs each (ms): median / p95`);
  for (const params of PARAMS) {
    const hasher = new PasswordHasher(params);
    const hashes: number[] = [];
    const verifies: number[] = [];
    let hash = await hasher.hash('warm-up password');
    for (let i = 0; i < RUNS; i += 1) {
      let started = performance.now();
      hash = await hasher.hash(`benchmark password ${i}`);
      hashes.push(performance.now() - started);
      started = performance.now();
      await hasher.verify(hash, `benchmark password ${i}`);
      verifies.push(performance.now() - started);
    }
    hashes.sort((a, b) => a - b);
    verifies.sort((a, b) => a - b);
    console.log(
      `${params.label.padEnd(26)} m=${params.memoryKiB} t=${params.timeCost} p=${params.parallelism}: ` +
        `hash ${percentile(hashes, 50).toFixed(1)} / ${percentile(hashes, 95).toFixed(1)}, ` +
        `verify ${percentile(verifies, 50).toFixed(1)} / ${percentile(verifies, 95).toFixed(1)}`,
    );
  }
}
