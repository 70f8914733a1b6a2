// The capacity benchmark's accounts: registered and enrolled (password + TOTP) through the load
// balancer in a setup phase, argon2-bound at a few dozen a second, and kept in bench/.cache/ (one
// file per load balancer URL) so that a rerun against the same cluster starts at once.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import type { Agent } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { totpCode } from '../test/support/totp-codes.ts';
import { AddressPool } from './capacity-addresses.ts';
import { BenchError, expect, send } from './capacity-http.ts';
import { type BenchUser, totpStepAt } from './capacity-user-pool.ts';

export const cacheDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '.cache');

export function cacheFile(lb: string): string {
  const key = createHash('sha256').update(new URL(lb).origin).digest('hex').slice(0, 12);
  return path.join(cacheDir, `capacity-users-${key}.json`);
}

interface CacheContent {
  lb: string;
  users: BenchUser[];
}

export async function readCachedUsers(lb: string): Promise<BenchUser[]> {
  try {
    const content = JSON.parse(await readFile(cacheFile(lb), 'utf8')) as CacheContent;
    return content.lb === new URL(lb).origin ? content.users : [];
  } catch {
    return [];
  }
}

export async function writeCachedUsers(lb: string, users: BenchUser[]): Promise<void> {
  await mkdir(cacheDir, { recursive: true });
  const content: CacheContent = { lb: new URL(lb).origin, users };
  await writeFile(cacheFile(lb), `${JSON.stringify(content)}\n`, { mode: 0o600 });
}

/** Registrations per source address: well under the replicas' per-address budget (20 a window). */
const USERS_PER_ADDRESS = 5;
/** Enough at once to keep every replica's argon2 busy, few enough not to hit its pending bound (32). */
const SETUP_CONCURRENCY = 12;
const TIMEOUT_MS = 30_000;

/** Registers, logs in and enrols one account from `agent`'s address; throws a BenchError on any refusal. */
async function enrolOne(lb: string, agent: Agent, username: string): Promise<BenchUser> {
  const password = `capacity-${randomBytes(12).toString('hex')}-Pw`;
  const at = (p: string) => new URL(p, lb);
  const base = { agent, timeoutMs: TIMEOUT_MS } as const;
  await expect({ ...base, method: 'POST', url: at('/api/v1/register'), body: { username, password } }, 201);
  const login = await expect(
    { ...base, method: 'POST', url: at('/api/v1/login'), body: { username, password } },
    200,
  );
  const cookie = login.sessionCookie;
  if (!cookie) throw new BenchError('login after registration set no session cookie');
  const enrolment = await expect(
    { ...base, method: 'POST', url: at('/api/v1/totp/enroll'), cookie, body: {} },
    200,
  );
  const secret = (JSON.parse(enrolment.text) as { secret: string }).secret;
  // This step's code (the previous one is refused when the request lands in the next step): the
  // account is free for a login from the next step on.
  const confirmedAt = Date.now();
  const code = await totpCode(secret, confirmedAt);
  await expect({ ...base, method: 'POST', url: at('/api/v1/totp/confirm'), cookie, body: { code } }, 200);
  await send({ ...base, method: 'POST', url: at('/api/v1/logout'), cookie, body: {} }).catch(() => undefined);
  return { username, password, secret, lastStep: totpStepAt(confirmedAt) };
}

/** Enrols `count` new accounts through `lb`, printing progress and every kind of refusal. */
export async function enrolUsers(lb: string, count: number): Promise<BenchUser[]> {
  const stamp = `cap${Date.now().toString(36)}`;
  // A random place in 127.201/16, so a second setup within the budget's window uses fresh addresses.
  const addresses = Math.ceil((count * 2) / USERS_PER_ADDRESS);
  const pool = new AddressPool(201, addresses, randomBytes(2).readUInt16BE() % (254 * 100), 1);
  const users: BenchUser[] = [];
  const errors = new Map<string, number>();
  let attempts = 0;
  const started = performance.now();
  const report = () => {
    const rate = users.length / ((performance.now() - started) / 1000);
    const failed = [...errors].map(([kind, n]) => `${kind} x${n}`).join(', ');
    console.log(
      `  enrolled ${users.length}/${count} (${rate.toFixed(1)}/s)${failed ? `; errors: ${failed}` : ''}`,
    );
  };
  const progress = setInterval(report, 10_000);
  const worker = async () => {
    // Gives up once failures reach the number wanted: a cluster refusing everything must not spin.
    while (users.length < count && attempts < count * 2) {
      const index = attempts++;
      try {
        users.push(await enrolOne(lb, pool.at(Math.floor(index / USERS_PER_ADDRESS)), `${stamp}-${index}`));
      } catch (error) {
        const kind = error instanceof BenchError ? error.kind : (error as Error).message;
        errors.set(kind, (errors.get(kind) ?? 0) + 1);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: SETUP_CONCURRENCY }, worker));
  } finally {
    clearInterval(progress);
    pool.close();
  }
  report();
  return users.slice(0, count);
}
