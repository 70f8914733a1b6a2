// `npm run bench -- capacity [--lb URL] [--data-dir DIR] [--duration S] [--warmup S] [--users N]`:
// the command line of the capacity benchmark, checked.
import { parseArgs } from 'node:util';

export interface CapacityOptions {
  /** The load balancer to measure through; undefined: lb-a of the cluster in dataDir. */
  lb: string | undefined;
  dataDir: string;
  durationMs: number;
  warmupMs: number;
  /** Accounts in the login pool (one login each per 30 s TOTP step); undefined: sized from (1). */
  users: number | undefined;
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

/**
 * Accounts enough for logins at the argon2 bound for a whole TOTP step, and a tenth more: an account
 * signs in once per step, so a smaller pool runs dry and the login phase measures the pool instead.
 */
export function poolSizeFor(argon2PerSecond: number): number {
  if (!Number.isFinite(argon2PerSecond))
    throw new Error(`no argon2 rate to size the pool from: ${argon2PerSecond}`);
  return Math.max(100, Math.ceil(argon2PerSecond * 30 * 1.1));
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
    users: values.users === undefined ? undefined : positive('users', values.users, 0, true),
    loginConcurrencies: [8, 16, 32],
    sessionConcurrency: 32,
  };
}
