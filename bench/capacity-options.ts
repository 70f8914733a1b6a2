// `npm run bench -- capacity [--lb URL] [--data-dir DIR] [--duration S] [--warmup S] [--users N]`:
// the command line of the capacity benchmark, checked.
import { parseArgs } from 'node:util';

export interface CapacityOptions {
  /** The load balancer to measure through; undefined: lb-a of the cluster in dataDir. */
  lb: string | undefined;
  dataDir: string;
  durationMs: number;
  warmupMs: number;
  /** Accounts in the login pool: one login each per 30 s TOTP step. */
  users: number;
  /** Concurrencies tried for full logins; the best is the figure. */
  loginConcurrencies: number[];
  sessionConcurrency: number;
}

export const USAGE =
  'usage: npm run bench -- capacity [--lb URL] [--data-dir DIR] [--duration S] [--warmup S] [--users N]';

function positive(name: string, value: string | undefined, fallback: number, integer = false): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new Error(`--${name}: "${value}" is not a positive ${integer ? 'integer' : 'number'}\n${USAGE}`);
  }
  return n;
}

export function parseCapacityOptions(args: string[], defaultDataDir: string): CapacityOptions {
  const { values } = parseArgs({
    args,
    options: {
      lb: { type: 'string' },
      'data-dir': { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      users: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  let lb: string | undefined;
  if (values.lb !== undefined) {
    try {
      lb = new URL(values.lb).origin;
    } catch {
      throw new Error(`--lb: "${values.lb}" is not a URL\n${USAGE}`);
    }
  }
  return {
    lb,
    dataDir: values['data-dir'] ?? defaultDataDir,
    durationMs: positive('duration', values.duration, 10) * 1000,
    warmupMs: values.warmup === '0' ? 0 : positive('warmup', values.warmup, 2) * 1000,
    users: positive('users', values.users, 2_000, true),
    loginConcurrencies: [8, 16, 32],
    sessionConcurrency: 32,
  };
}
