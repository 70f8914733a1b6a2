// `npm run bench push` settings: knobs from the environment, and the command line that names them.
import { env } from 'node:process';

export interface Settings {
  prompts: number;
  warmup: number;
  connections: number;
  batch: number;
  loadedPrompts: number;
  command: string;
}

export function readSettings(): Settings {
  const knobs = {
    BENCH_PUSH_PROMPTS: 300,
    BENCH_PUSH_WARMUP: 20,
    BENCH_PUSH_CONNECTIONS: 10_000,
    BENCH_PUSH_BATCH: 200,
    BENCH_PUSH_LOADED_PROMPTS: 50,
  };
  const given: string[] = [];
  const value = (name: keyof typeof knobs, min: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return knobs[name];
    if (!/^\d+$/.test(raw.trim()) || Number(raw) < min) {
      throw new RangeError(`${name} must be a whole number of at least ${min}, got "${raw}"`);
    }
    given.push(`${name}=${raw.trim()}`);
    return Number(raw);
  };
  return {
    prompts: value('BENCH_PUSH_PROMPTS', 1),
    warmup: value('BENCH_PUSH_WARMUP', 0),
    connections: value('BENCH_PUSH_CONNECTIONS', 0),
    batch: value('BENCH_PUSH_BATCH', 1),
    loadedPrompts: value('BENCH_PUSH_LOADED_PROMPTS', 1),
    command: [...given, 'npm run bench push'].join(' '),
  };
}
