// `npm run bench -- argon2-concurrency`: argon2id verifications per second at the default cost with
// 1, 2, 3, 6 and 12 at once in one process (PasswordHasher's maxConcurrent, a libuv pool of 16), the
// figure behind TWOFOLD_ARGON2_CONCURRENCY: memory-hard hashes run best no more at once than the cores.
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { PasswordHasher } from '../services/auth/src/lib/passwords.ts';

const PARAMS = { memoryKiB: 19_456, timeCost: 2, parallelism: 1 };
const LEVELS = [1, 2, 3, 6, 12];
const SECONDS = 5;

async function verificationsPerSecond(atOnce: number): Promise<number> {
  const hasher = new PasswordHasher(PARAMS, Number.POSITIVE_INFINITY, {}, atOnce);
  const hash = await hasher.hash('benchmark password');
  const end = Date.now() + SECONDS * 1000;
  let done = 0;
  // Twice as many callers as slots, so that a slot never waits for a caller.
  await Promise.all(
    Array.from({ length: atOnce * 2 }, async () => {
      while (Date.now() < end) {
        await hasher.verify(hash, 'benchmark password');
        done += 1;
      }
    }),
  );
  return done / SECONDS;
}

/** The measurement runs in a child whose libuv pool (set before it starts) never limits a level. */
export async function benchArgon2Concurrency(): Promise<void> {
  if (process.env.TWOFOLD_BENCH_CHILD === 'argon2-concurrency') {
    for (const level of LEVELS)
      console.log(
        `${String(level).padStart(2)} at once: ${(await verificationsPerSecond(level)).toFixed(1)}/s`,
      );
    return;
  }
  console.log(
    `argon2id m=${PARAMS.memoryKiB} t=${PARAMS.timeCost} p=${PARAMS.parallelism} on ${availableParallelism()} cores, ${SECONDS} s per level`,
  );
  const child = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', 'argon2-concurrency'], {
    env: { ...process.env, UV_THREADPOOL_SIZE: '16', TWOFOLD_BENCH_CHILD: 'argon2-concurrency' },
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    timeout: 120_000,
  });
  console.log(child.stdout.replace(/^\s*## argon2-concurrency\n/, '').trimEnd());
}
