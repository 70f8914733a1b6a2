// Helpers of the `push` benchmark (bench/push.ts): accounts enrolled through the load balancer,
// phones paired to them, latency figures, and what a replica's process costs in memory.
import { readdirSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import WebSocket from 'ws';
import { type LoginPrompt, Phone } from '../services/phone/src/phone.ts';
import { HttpClient, type HttpResult, totpCode } from '../test/support/http-client.ts';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An enrolled account (password + TOTP) and the phone paired to it (not connected yet). */
export interface BenchAccount {
  username: string;
  password: string;
  userId: string;
  phone: Phone;
}

export function expectStatus(result: HttpResult, status: number, what: string): void {
  if (result.status !== status) {
    throw new Error(`${what}: HTTP ${result.status}, expected ${status}: ${JSON.stringify(result.body)}`);
  }
}

/** Registers `username` through `lb` and leaves it fully enrolled (TOTP confirmed); returns the session. */
export async function enrol(lb: string, username: string, password: string) {
  const client = new HttpClient(lb);
  expectStatus(await client.post('/api/v1/register', { username, password }), 201, `register ${username}`);
  const login = await client.post('/api/v1/login', { username, password });
  if (login.body?.state !== 'enrollment_required') {
    throw new Error(`login of a new account: ${login.status} ${JSON.stringify(login.body)}`);
  }
  const enrolment = await client.post('/api/v1/totp/enroll');
  expectStatus(enrolment, 200, 'TOTP enrolment');
  // The previous step's code: the current one stays unused for a login in the same 30 s.
  const code = await totpCode(enrolment.body.secret as string, Date.now() - 30_000);
  expectStatus(await client.post('/api/v1/totp/confirm', { code }), 200, 'TOTP confirmation');
  const me = await client.get('/api/v1/me');
  expectStatus(me, 200, 'GET /api/v1/me');
  return { client, userId: me.body.user.id as string, secret: enrolment.body.secret as string };
}

/** An enrolled account with a phone paired through `lb` (the dashboard's link, then the phone's POST). */
export async function enrolWithPhone(
  lb: string,
  username: string,
  password: string,
  stateDir: string,
): Promise<BenchAccount> {
  const { client, userId, secret } = await enrol(lb, username, password);
  // Pairing takes a second factor too: this step's code (the enrolment used the previous one).
  const pairing = await client.post('/api/v1/devices/pairing', { password, code: await totpCode(secret) });
  expectStatus(pairing, 200, 'POST /api/v1/devices/pairing');
  const phone = await Phone.pair(pairing.body.link as string, {
    statePath: path.join(stateDir, `${username}.json`),
    name: `bench ${username}`,
  });
  return { username, password, userId, phone };
}

/**
 * The same device, but talking to `origin` (a push replica directly, not through nginx): a copy of
 * its state file with another origin. Its answers would go there too, so it only receives.
 */
export async function phoneVia(phone: Phone, origin: string): Promise<Phone> {
  const state = JSON.parse(await readFile(phone.statePath, 'utf8'));
  const copy = phone.statePath.replace(/\.json$/, `.direct.json`);
  await writeFile(copy, JSON.stringify({ ...state, origin: new URL(origin).origin }), { mode: 0o600 });
  return Phone.load(copy);
}

/** When each prompt reached a phone ('prompt' event, performance.now()), by challenge id. */
export class PromptClock {
  private readonly seen = new Map<string, { at: number; prompt: LoginPrompt }>();
  private readonly waiting = new Map<string, (seen: { at: number; prompt: LoginPrompt }) => void>();

  watch(phone: Phone): () => void {
    const listener = (prompt: LoginPrompt) => {
      const entry = { at: performance.now(), prompt };
      const waiter = this.waiting.get(prompt.challengeId);
      if (waiter) {
        this.waiting.delete(prompt.challengeId);
        waiter(entry);
      } else this.seen.set(prompt.challengeId, entry);
    };
    phone.on('prompt', listener);
    return () => phone.off('prompt', listener);
  }

  /** The prompt for `challengeId`, whether it arrived already or arrives within `timeoutMs`. */
  waitFor(challengeId: string, timeoutMs = 10_000): Promise<{ at: number; prompt: LoginPrompt }> {
    const early = this.seen.get(challengeId);
    if (early) {
      this.seen.delete(challengeId);
      return Promise.resolve(early);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(challengeId);
        reject(new Error(`the phone got no prompt for challenge ${challengeId} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(challengeId, (entry) => {
        clearTimeout(timer);
        resolve(entry);
      });
    });
  }
}

export interface Figures {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentiles of samples in ms. */
export function figures(samples: number[]): Figures {
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
  return {
    n: sorted.length,
    p50: rank(50),
    p95: rank(95),
    p99: rank(99),
    max: sorted.at(-1) ?? Number.NaN,
    mean: sorted.reduce((sum, value) => sum + value, 0) / Math.max(1, sorted.length),
  };
}

export const ms = (value: number) => `${value.toFixed(1)} ms`;

export function describeFigures(f: Figures): string {
  return `p50 ${ms(f.p50)}, p95 ${ms(f.p95)}, p99 ${ms(f.p99)}, max ${ms(f.max)} (mean ${ms(f.mean)})`;
}

/** A field of /proc/<pid>/status in KiB (VmRSS, VmHWM...). */
export function procStatusKiB(pid: number, field: string): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  if (!match) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]);
}

/** The soft limit on open files of a process ('self' for this one). */
export function openFileLimit(pid: number | 'self'): number {
  const limits = readFileSync(`/proc/${pid}/limits`, 'utf8');
  const match = /^Max open files\s+(\d+|unlimited)/m.exec(limits);
  if (!match) throw new Error(`no "Max open files" in /proc/${pid}/limits`);
  return match[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(match[1]);
}

export function openFileCount(pid: number | 'self'): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** How many local ports outgoing connections to one address and port can take. */
export function ephemeralPortCount(): number {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    return Number(high) - Number(low) + 1;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/** Samples of a replica's /metrics (prom-client text format), summed over label sets, by name. */
export async function scrapeMetrics(baseUrl: string, names: string[]): Promise<Map<string, number>> {
  const response = await fetch(new URL('/metrics', baseUrl), { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`GET ${baseUrl}metrics: HTTP ${response.status}`);
  const values = new Map<string, number>();
  for (const line of (await response.text()).split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match || !names.includes(match[1] as string)) continue;
    values.set(match[1] as string, (values.get(match[1] as string) ?? 0) + Number(match[3]));
  }
  return values;
}

export const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;

/** Lines of a replica's log (pino JSON) at warn or above, and the distinct messages among them. */
export async function logTroubles(file: string): Promise<{ count: number; messages: Map<string, number> }> {
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return { count: 0, messages: new Map() };
  }
  const messages = new Map<string, number>();
  let count = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
      if ((entry.level ?? 0) < 40) continue;
      count += 1;
      const what = `${entry.msg ?? '?'}${entry.err?.message ? `: ${entry.err.message}` : ''}`;
      messages.set(what, (messages.get(what) ?? 0) + 1);
    } catch {}
  }
  return { count, messages };
}

/**
 * A full garbage collection in a replica started with `--inspect=127.0.0.1:0` (the bench's pushEnv):
 * the inspector's address is read from the member's log, HeapProfiler.collectGarbage sent to it.
 * Resolves false when the replica has no inspector.
 */
export async function collectGarbage(logFile: string): Promise<boolean> {
  const log = await readFile(logFile, 'utf8').catch(() => '');
  const url = [...log.matchAll(/Debugger listening on (ws:\/\/\S+)/g)].at(-1)?.[1];
  if (!url) return false;
  const socket = new WebSocket(url, { perMessageDeflate: false });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer from the inspector at ${url}`)), 30_000);
      socket.once('error', reject);
      socket.once('open', () =>
        socket.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' })),
      );
      socket.on('message', (data) => {
        const answer = JSON.parse(data.toString()) as { id?: number; error?: { message?: string } };
        if (answer.id !== 1) return;
        clearTimeout(timer);
        if (answer.error) reject(new Error(`HeapProfiler.collectGarbage: ${answer.error.message}`));
        else resolve();
      });
    });
    return true;
  } finally {
    socket.close();
  }
}
