// The command line of `loadtest/run.ts`, parsed into the options of a run.
import { parseArgs } from 'node:util';

export interface Kill {
  member: string;
  atS: number;
}

export interface RunOptions {
  scenario: string;
  rate?: number;
  durationS?: number;
  lbs: string[];
  /** Enrolled users for logins; default: enough for the login rate × 30 s and then some. */
  users?: number;
  seeded?: { seed: string; count: number };
  kills?: Kill[];
  restartAfterS: number;
  dataDir?: string;
  outDir?: string;
  timeoutMs: number;
  maxInFlight: number;
  sessions: number;
  /** Users with a paired phone; 0 leaves push logins out of the blend. */
  phones?: number;
  quiet: boolean;
}

export const USAGE = `Usage: node --import tsx loadtest/run.ts <scenario> [options]
  --rate N              flow starts per second (open model: at fixed times, whatever the answers)
  --duration S          seconds of load
  --lb URL,URL          load balancers, used in turn (default http://127.0.0.1:8080,http://127.0.0.1:8081)
  --users N             enrolled users to sign in as (default: login rate x 30 s x 1.5, at least 10)
  --seeded SEED:COUNT   sign in as users made by loadtest/seed.ts instead of registering them
                        (their key is read from --data-dir, default the local cluster's)
  --sessions N          signed-in sessions for the session checks (default 16)
  --phones N            users with a paired CLI phone for push logins (default: as the budget needs,
                        at most 40; 0 leaves push logins out)
  --kill MEMBER@S       kill MEMBER S seconds in (repeatable; pg-primary, redis-master, push-holder resolved then)
  --restart-after S     restart a killed member S seconds after its kill (default 20)
  --data-dir DIR        the cluster's data directory, for twofold kill/restart/status
  --timeout MS          every request's timeout (default 10000)
  --max-in-flight N     flows in flight beyond which a due flow is dropped (default 256)
  --out DIR             report directory (default loadtest/reports/<timestamp>-<scenario>)
  --quiet               no progress line`;

const DEFAULT_LBS = ['http://127.0.0.1:8080', 'http://127.0.0.1:8081'];

function positive(name: string, text: string | undefined, integer = false): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
    throw new Error(`--${name} ${text}: expected a ${integer ? 'whole ' : ''}number >= 0`);
  }
  return value;
}

export function parseKill(text: string): Kill {
  const match = /^([a-z0-9-]+)@(\d+(?:\.\d+)?)$/.exec(text);
  if (!match) throw new Error(`--kill ${text}: expected MEMBER@SECONDS, e.g. auth-1@10`);
  return { member: match[1] as string, atS: Number(match[2]) };
}

export function parseSeeded(text: string): { seed: string; count: number } {
  const match = /^([A-Za-z0-9_-]+):(\d+)$/.exec(text);
  if (!match || Number(match[2]) < 1) throw new Error(`--seeded ${text}: expected SEED:COUNT, e.g. s1:10000`);
  return { seed: match[1] as string, count: Number(match[2]) };
}

export function parseOptions(argv: string[]): RunOptions {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      rate: { type: 'string' },
      duration: { type: 'string' },
      lb: { type: 'string' },
      users: { type: 'string' },
      seeded: { type: 'string' },
      sessions: { type: 'string' },
      phones: { type: 'string' },
      kill: { type: 'string', multiple: true },
      'restart-after': { type: 'string' },
      'data-dir': { type: 'string' },
      timeout: { type: 'string' },
      'max-in-flight': { type: 'string' },
      out: { type: 'string' },
      quiet: { type: 'boolean', default: false },
    },
  });
  const [scenario, ...extra] = positionals;
  if (!scenario) throw new Error('which scenario? (see --help)');
  if (extra.length > 0) throw new Error(`unexpected arguments: ${extra.join(' ')}`);
  const lbs = values.lb ? values.lb.split(',').map((url) => url.trim().replace(/\/+$/, '')) : DEFAULT_LBS;
  for (const url of lbs) {
    if (!/^https?:\/\/[^/]+$/.test(url)) throw new Error(`--lb ${url}: expected http://host:port`);
  }
  const rate = positive('rate', values.rate);
  if (rate === 0) throw new Error('--rate 0: nothing to send');
  return {
    scenario,
    rate,
    durationS: positive('duration', values.duration),
    lbs,
    users: positive('users', values.users, true),
    seeded: values.seeded ? parseSeeded(values.seeded) : undefined,
    kills: values.kill?.map(parseKill),
    restartAfterS: positive('restart-after', values['restart-after']) ?? 20,
    dataDir: values['data-dir'],
    outDir: values.out,
    timeoutMs: positive('timeout', values.timeout, true) ?? 10_000,
    maxInFlight: positive('max-in-flight', values['max-in-flight'], true) ?? 256,
    sessions: positive('sessions', values.sessions, true) ?? 16,
    phones: positive('phones', values.phones, true),
    quiet: values.quiet ?? false,
  };
}
