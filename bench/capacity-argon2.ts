// Phase (1) of the capacity benchmark: argon2id verifications per second on all cores, with the
// PasswordHasher the replicas use and the parameters a running replica was given (its environment,
// read from /proc, through the replicas' own schema and defaults): the bound for logins.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Type } from '@sinclair/typebox';
import { EnvSchema } from '../services/auth/src/config.ts';
import { type Argon2Params, PasswordHasher } from '../services/auth/src/lib/passwords.ts';
import { loadEnv } from '../services/common/src/env-loader.ts';
import { closedLoop, type Timing } from './capacity-loops.ts';
import type { PhaseResult } from './capacity-recorder.ts';

const Argon2Env = Type.Pick(EnvSchema, [
  'TWOFOLD_ARGON2_MEMORY_KIB',
  'TWOFOLD_ARGON2_TIME_COST',
  'TWOFOLD_ARGON2_PARALLELISM',
]);

/** A process's environment, or undefined when it cannot be read (not ours, gone). */
export function processEnv(pid: number): NodeJS.ProcessEnv | undefined {
  try {
    const pairs = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
    return Object.fromEntries(
      pairs.map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
    );
  } catch {
    return undefined;
  }
}

export interface ReplicaHashing {
  params: Argon2Params;
  /** Where the parameters came from. */
  source: string;
  /** libuv's thread pool in the replica, where @node-rs/argon2 runs its work. */
  threadPool: number;
}

export function replicaHashing(replicaPid: number | undefined): ReplicaHashing {
  const env = replicaPid === undefined ? undefined : processEnv(replicaPid);
  const e = loadEnv(Argon2Env, env ?? process.env) as Record<string, number>;
  return {
    params: {
      memoryKiB: e.TWOFOLD_ARGON2_MEMORY_KIB as number,
      timeCost: e.TWOFOLD_ARGON2_TIME_COST as number,
      parallelism: e.TWOFOLD_ARGON2_PARALLELISM as number,
    },
    source: env
      ? `auth replica pid ${replicaPid}'s environment`
      : "this process's environment (no replica readable)",
    threadPool: Number(env?.UV_THREADPOOL_SIZE ?? 4),
  };
}

export interface Argon2Result {
  phase: PhaseResult;
  /** CPU time this process spent per verification (user + system), in ms. */
  cpuMsPerVerify: number;
  inFlight: number;
  threadPool: number;
}

export async function benchArgon2Capacity(params: Argon2Params, timing: Timing): Promise<Argon2Result> {
  const hasher = new PasswordHasher(params);
  const password = 'capacity benchmark password';
  const hash = await hasher.hash(password);
  // One per core: more in flight only makes each slower (19 MiB each, the caches thrash; see
  // `npm run bench -- argon2-concurrency`).
  const inFlight = availableParallelism();
  const threadPool = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  let verified = 0;
  const cpuBefore = process.cpuUsage();
  const phase = await closedLoop('(1) argon2id verify, in process', inFlight, timing, async () => {
    if (!(await hasher.verify(hash, password))) throw new Error('the verification failed');
    verified += 1;
  });
  const cpu = process.cpuUsage(cpuBefore);
  phase.detail = `${inFlight} in flight on ${availableParallelism()} cores, libuv pool ${threadPool}, m=${params.memoryKiB} t=${params.timeCost} p=${params.parallelism}`;
  return { phase, cpuMsPerVerify: (cpu.user + cpu.system) / 1000 / verified, inFlight, threadPool };
}
