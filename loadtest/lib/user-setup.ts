// Users made through the API before a run (register, enrol an authenticator, and for push logins
// pair a headless phone), cached in loadtest/.cache/ per load balancer so the next run reuses them.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Phone } from '../../services/phone/src/phone.ts';
import { clientAddress, FRESH_ADDRESS_BASE } from './addresses.ts';
import { LoadClient } from './load-client.ts';
import { codeForStep, totpStep } from './totp.ts';
import type { PoolUser } from './user-pool.ts';

export const CACHE_DIR = path.join(import.meta.dirname, '..', '.cache');

interface CachedUser extends Omit<PoolUser, 'address'> {
  addressIndex: number;
}

export interface UserCache {
  lb: string;
  nextIndex: number;
  users: CachedUser[];
  phoneUsers: CachedUser[];
}

const cacheFile = (lb: string) =>
  path.join(CACHE_DIR, `users-${createHash('sha256').update(lb).digest('hex').slice(0, 12)}.json`);

async function loadCache(lb: string): Promise<UserCache> {
  try {
    const cache = JSON.parse(await readFile(cacheFile(lb), 'utf8')) as UserCache;
    if (cache.lb === lb) return cache;
  } catch {}
  return { lb, nextIndex: 0, users: [], phoneUsers: [] };
}

async function saveCache(cache: UserCache): Promise<void> {
  await mkdir(CACHE_DIR, { recursive: true, mode: 0o700 });
  await writeFile(cacheFile(cache.lb), JSON.stringify(cache, null, 1), { mode: 0o600 });
}

const toPoolUser = ({ addressIndex, ...user }: CachedUser): PoolUser => ({
  ...user,
  address: clientAddress(addressIndex),
});

/** The new account's username and password; the password passes the policy (long, not common). */
export function freshCredentials(): { username: string; password: string } {
  const tag = randomBytes(5).toString('hex');
  return { username: `lt-${tag}`, password: `load test ${randomBytes(9).toString('base64url')}` };
}

export interface EnrolOptions {
  lb: string;
  address: string;
  timeoutMs: number;
  /** With a phone: the directory its state file goes in. */
  phoneDir?: string;
}

/** Registers and enrols one account through `lb` from `address`; pairs a phone when asked. */
export async function enrolAccount(options: EnrolOptions): Promise<Omit<PoolUser, 'address'>> {
  const { username, password } = freshCredentials();
  const client = new LoadClient({
    baseUrl: options.lb,
    localAddress: options.address,
    timeoutMs: options.timeoutMs,
    flow: 'setup',
  });
  await client.call('register', 'POST', '/api/v1/register', { username, password }, 201);
  const login = await client.call('password', 'POST', '/api/v1/login', { username, password }, 200);
  client.expectState('password', login, 'enrollment_required');
  const enrolment = await client.call('enroll', 'POST', '/api/v1/totp/enroll', {}, 200);
  const totpSecret = enrolment.body.secret as string;
  // The previous step's code, unless the step is about to end: the current one stays free.
  const step = Date.now() % 30_000 < 27_000 ? totpStep() - 1 : totpStep();
  await client.call('confirm', 'POST', '/api/v1/totp/confirm', { code: codeForStep(totpSecret, step) }, 200);
  let lastStep = step;
  let phoneState: string | undefined;
  if (options.phoneDir) {
    lastStep = Math.max(totpStep(), step + 1);
    const code = codeForStep(totpSecret, lastStep);
    const pairing = await client.call('pairing', 'POST', '/api/v1/devices/pairing', { password, code }, 200);
    phoneState = path.join(options.phoneDir, `${username}.json`);
    await mkdir(options.phoneDir, { recursive: true, mode: 0o700 });
    await Phone.pair(pairing.body.link as string, { statePath: phoneState, name: `load test ${username}` });
  }
  return { username, password, totpSecret, lastStep, ...(phoneState ? { phoneState } : {}) };
}

/** Runs `task` over `count` items, `concurrency` at a time. */
async function inBatches(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/** Whether the cache's users exist on this cluster (a cluster made again has none of them). */
async function cacheStillValid(cache: UserCache, timeoutMs: number): Promise<boolean> {
  const probe = cache.users[0] ?? cache.phoneUsers[0];
  if (!probe) return true;
  const client = new LoadClient({
    baseUrl: cache.lb,
    localAddress: clientAddress(probe.addressIndex),
    timeoutMs,
    flow: 'setup',
  });
  try {
    await client.call(
      'probe',
      'POST',
      '/api/v1/login',
      { username: probe.username, password: probe.password },
      200,
    );
    return true;
  } catch {
    return false;
  }
}

export interface SetupOptions {
  lbs: string[];
  users: number;
  phoneUsers: number;
  timeoutMs: number;
  log: (line: string) => void;
}

/** At least `users` enrolled users and `phoneUsers` users with a paired phone, from the cache or made now. */
export interface EnsuredUsers {
  users: PoolUser[];
  phoneUsers: PoolUser[];
  cache: UserCache;
}

export async function ensureUsers(options: SetupOptions): Promise<EnsuredUsers> {
  const lb = options.lbs[0] as string;
  let cache = await loadCache(lb);
  if (!(await cacheStillValid(cache, options.timeoutMs))) {
    options.log(`setup: the cached users of ${lb} are not on this cluster; making new ones`);
    cache = { lb, nextIndex: 0, users: [], phoneUsers: [] };
  }
  const phoneDir = path.join(CACHE_DIR, `phones-${path.basename(cacheFile(lb), '.json').slice(6)}`);
  const make = async (list: CachedUser[], wanted: number, withPhone: boolean) => {
    const missing = Math.max(0, wanted - list.length);
    if (missing === 0) return;
    options.log(
      `setup: registering and enrolling ${missing} user(s)${withPhone ? ' with a phone' : ''} through the API`,
    );
    const startedAt = performance.now();
    await inBatches(missing, withPhone ? 2 : 4, async (i) => {
      const addressIndex = FRESH_ADDRESS_BASE + cache.nextIndex++;
      const made = await enrolAccount({
        lb: options.lbs[i % options.lbs.length] as string,
        address: clientAddress(addressIndex),
        timeoutMs: options.timeoutMs,
        ...(withPhone ? { phoneDir } : {}),
      });
      list.push({ ...made, addressIndex });
    });
    options.log(`setup: ${missing} user(s) made in ${((performance.now() - startedAt) / 1000).toFixed(1)} s`);
    await saveCache(cache);
  };
  await make(cache.users, options.users, false);
  await make(cache.phoneUsers, options.phoneUsers, true);
  return {
    users: cache.users.slice(0, options.users).map(toPoolUser),
    phoneUsers: cache.phoneUsers.slice(0, options.phoneUsers).map(toPoolUser),
    cache,
  };
}

/**
 * Writes back what the run spent (TOTP steps, push prompts, the trusted-browser cookie), so the
 * next run neither replays a code nor overruns an account's prompt budget.
 */
export async function rememberUse(cache: UserCache, used: PoolUser[]): Promise<void> {
  const byName = new Map(used.map((user) => [user.username, user]));
  for (const user of [...cache.users, ...cache.phoneUsers]) {
    const after = byName.get(user.username);
    if (!after) continue;
    user.lastStep = Math.max(user.lastStep, after.lastStep);
    if (after.prompts) user.prompts = after.prompts;
    if (after.deviceCookie) user.deviceCookie = after.deviceCookie;
  }
  await saveCache(cache);
}
