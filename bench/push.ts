// `npm run bench push`: the push channel on a real local cluster started for the run (and stopped
// at the end, also on failure). Figures are printed, never asserted:
//   1. prompt latency through lb-a: from just before the browser's POST /api/v1/login/push until
//      the phone's 'prompt' event (one process, one clock); the POST's own time; and approve →
//      browser: from just before the phone's answer POST until the browser's waiting long poll says
//      authenticated;
//   2. idle phones held by one push replica (push-1, directly, not through nginx) and its memory;
//   3. prompt latency to a phone on push-1 while those idle connections stay open.
// The push replicas run with an inspector on a free loopback port, only so that push-1 can be
// asked for a full GC before each memory reading. Phones keep their state on /dev/shm.
// Knobs (environment): BENCH_PUSH_PROMPTS (300), BENCH_PUSH_WARMUP (20), BENCH_PUSH_CONNECTIONS
// (10000), BENCH_PUSH_BATCH (200), BENCH_PUSH_LOADED_PROMPTS (50).
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { env } from 'node:process';
import { memberLogFile } from '../deploy/src/paths.ts';
import type { Phone } from '../services/phone/src/phone.ts';
import { startTestCluster, type TestCluster } from '../test/support/cluster.ts';
import { HttpClient } from '../test/support/http-client.ts';
import {
  connectIdleFleet,
  type IdleFleet,
  insertIdleDevices,
  type PingSweep,
  pingSweeps,
  userIdOf,
} from './push-idle.ts';
import {
  type BenchAccount,
  collectGarbage,
  describeFigures,
  enrolWithPhone,
  ephemeralPortCount,
  expectStatus,
  type Figures,
  figures,
  logTroubles,
  mib,
  ms,
  openFileCount,
  openFileLimit,
  PromptClock,
  phoneVia,
  procStatusKiB,
  scrapeMetrics,
  sleep,
} from './push-support.ts';

/** TWOFOLD_MAX_PUSH_PROMPTS for the run: the most the auth replicas accept (per account and window). */
const PROMPT_BUDGET = 1_000;
const PASSWORD = 'correct horse battery staple';
const LOADED_WARMUP = 5;
/**
 * The prompts beside the idle phones are spread over this long (random pauses), so that they
 * overlap at least one of push-1's ping sweeps (every phone is pinged every 25 s, in one loop).
 */
const LOADED_SPAN_MS = 30_000;
/** Left free of the open-file limits for everything else the processes hold. */
const FD_MARGIN = 256;
/** After the last idle phone is ready, before memory is read. */
const SETTLE_MS = 5_000;
const TARGET_P99_MS = 100;
const TARGET_CONNECTIONS = 10_000;

interface Settings {
  prompts: number;
  warmup: number;
  connections: number;
  batch: number;
  loadedPrompts: number;
  command: string;
}

function readSettings(): Settings {
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

interface PromptFigures {
  /** POST /api/v1/login/push sent → the phone's 'prompt' event. */
  prompt: number[];
  /** POST /api/v1/login/push sent → its response. */
  post: number[];
  /** Answer POST sent → the browser's long poll returns authenticated. */
  approve: number[];
  /** Answer POST sent → its response. */
  answer: number[];
  /** The replica each measured prompt's phone was connected to. */
  replicas: Map<string, number>;
  /** The whole run, warm-up included. */
  durationMs: number;
}

interface PromptRun {
  label: string;
  lb: string;
  /** Account i / PROMPT_BUDGET answers prompt i; its phone is connected. */
  accounts: BenchAccount[];
  phones: Phone[];
  warmup: number;
  count: number;
  approve: boolean;
  /** A pause before each prompt (outside the measured span), ms. */
  pause?: () => number;
}

/**
 * Sequential prompts (latency, not throughput), each from a fresh password-verified session: the
 * password step (argon2) happens before the measured span.
 */
async function runPrompts(run: PromptRun): Promise<PromptFigures> {
  const out: PromptFigures = {
    prompt: [],
    post: [],
    approve: [],
    answer: [],
    replicas: new Map(),
    durationMs: 0,
  };
  const clock = new PromptClock();
  const unwatch = run.phones.map((phone) => clock.watch(phone));
  const total = run.warmup + run.count;
  const started = performance.now();
  try {
    for (let i = 0; i < total; i += 1) {
      const account = run.accounts[Math.floor(i / PROMPT_BUDGET)] as BenchAccount;
      const phone = run.phones[Math.floor(i / PROMPT_BUDGET)] as Phone;
      const counted = i >= run.warmup;
      if (run.pause) await sleep(run.pause());
      const browser = new HttpClient(run.lb);
      const login = await browser.post('/api/v1/login', { username: account.username, password: PASSWORD });
      if (login.body?.state !== 'mfa_required') {
        throw new Error(`password step: ${login.status} ${JSON.stringify(login.body)}`);
      }
      const sending = performance.now();
      const sent = await browser.post('/api/v1/login/push');
      const responded = performance.now();
      expectStatus(sent, 200, 'POST /api/v1/login/push');
      const challengeId = sent.body.challengeId as string;
      const number = sent.body.number as number;
      const { at, prompt } = await clock.waitFor(challengeId);
      if (!prompt.choices.includes(number)) {
        throw new Error(`the phone offers ${prompt.choices}, the browser shows ${number}`);
      }
      if (counted) {
        out.prompt.push(at - sending);
        out.post.push(responded - sending);
        const replica = phone.replica ?? 'none';
        out.replicas.set(replica, (out.replicas.get(replica) ?? 0) + 1);
      }
      if (run.approve) {
        // The browser waits before the person taps; the tap lands at a random moment of the
        // server's poll cycle (it looks in Redis every 150 ms), as a person's would.
        const waiting = browser.post('/api/v1/login/push/wait', { challengeId });
        await sleep(20 + Math.random() * 150);
        const answering = performance.now();
        const answer = await phone.answer(prompt, 'approve', number);
        const answered = performance.now();
        if (answer.outcome !== 'approved') throw new Error(`the answer was ${answer.outcome}, not approved`);
        let result = await waiting;
        while (result.status === 200 && result.body?.state === 'pending') {
          result = await browser.post('/api/v1/login/push/wait', { challengeId });
        }
        const authenticated = performance.now();
        if (result.body?.state !== 'authenticated') {
          throw new Error(`the browser's wait: ${result.status} ${JSON.stringify(result.body)}`);
        }
        if (counted) {
          out.approve.push(authenticated - answering);
          out.answer.push(answered - answering);
        }
      }
      if ((i + 1) % 100 === 0 || i + 1 === total) {
        const seconds = ((performance.now() - started) / 1000).toFixed(0);
        console.log(`  ${run.label}: ${i + 1}/${total} prompts (${run.warmup} warm-up) in ${seconds} s`);
      }
    }
  } finally {
    for (const stop of unwatch) stop();
  }
  out.durationMs = performance.now() - started;
  return out;
}

/** Accounts enough for `prompts` (each may be sent PROMPT_BUDGET per window), each with a phone. */
async function accountsFor(
  prompts: number,
  lb: string,
  prefix: string,
  stateDir: string,
): Promise<BenchAccount[]> {
  const accounts: BenchAccount[] = [];
  for (let i = 0; i < Math.ceil(prompts / PROMPT_BUDGET); i += 1) {
    accounts.push(await enrolWithPhone(lb, `${prefix}${i}`, PASSWORD, stateDir));
  }
  return accounts;
}

/** Connects the phone and waits for the account the server pushed at pairing. */
async function connectPhone(phone: Phone): Promise<string> {
  const account = phone.next('account', 15_000);
  const replica = await phone.connect();
  await account;
  return replica;
}

function pid(cluster: TestCluster, member: string): number {
  const running = cluster.members.get(member);
  if (!running) throw new Error(`${member} is not running`);
  const cmdline = readFileSync(`/proc/${running.handle.pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  if (!cmdline.includes('push/src/server.ts')) {
    throw new Error(`${member}'s pid ${running.handle.pid} is not the push gateway: ${cmdline}`);
  }
  return running.handle.pid;
}

/** How many idle connections fit the open-file limits of this process and of push-1, and the ports. */
function connectionsThatFit(wanted: number, serverPid: number): { fits: number; why: string } {
  const client = openFileLimit('self') - openFileCount('self') - FD_MARGIN;
  const server = openFileLimit(serverPid) - openFileCount(serverPid) - FD_MARGIN;
  const ports = ephemeralPortCount() - 1_000;
  const fits = Math.max(0, Math.min(wanted, client, server, ports));
  const why =
    `this process may open ${openFileLimit('self')} files (ulimit -n) and holds ${openFileCount('self')}; ` +
    `push-1 may open ${openFileLimit(serverPid)} and holds ${openFileCount(serverPid)}; ` +
    `${ephemeralPortCount()} local ports`;
  return { fits, why };
}

/** push-1's memory at one moment: as found, then after a full GC (when its inspector answers). */
interface MemorySnapshot {
  rssAsFoundKiB: number;
  rssKiB: number;
  heapUsed: number | undefined;
  connections: number | undefined;
  collected: boolean;
}

interface IdleFigures {
  wanted: number;
  held: number;
  connectMs: number;
  before: MemorySnapshot;
  whileHeld: MemorySnapshot;
  afterClose: MemorySnapshot;
  /** push-1's event-loop delay (prom-client's monitorEventLoopDelay) over the loaded prompts. */
  loopDelay: { max: number | undefined; p99: number | undefined };
  sweeps: PingSweep[];
  failures: Map<string, number>;
  dropped: Map<number, number>;
  loaded: PromptFigures;
}

async function memorySnapshot(cluster: TestCluster, serverPid: number): Promise<MemorySnapshot> {
  const rssAsFoundKiB = procStatusKiB(serverPid, 'VmRSS');
  const collected = await collectGarbage(memberLogFile(cluster.dataDir, 'push-1'));
  if (collected) await sleep(1_000);
  const metrics = await scrapeMetrics(cluster.pushUrls[0] as string, [
    'nodejs_heap_size_used_bytes',
    'twofold_push_connections',
  ]);
  return {
    rssAsFoundKiB,
    rssKiB: procStatusKiB(serverPid, 'VmRSS'),
    heapUsed: metrics.get('nodejs_heap_size_used_bytes'),
    connections: metrics.get('twofold_push_connections'),
    collected,
  };
}

async function idleConnections(
  cluster: TestCluster,
  settings: Settings,
  loadedAccounts: BenchAccount[],
  stamp: string,
  closers: Array<() => Promise<void>>,
): Promise<IdleFigures> {
  const [lbA] = cluster.lbUrls as [string];
  const pushUrl = cluster.pushUrls[0] as string;
  const serverPid = pid(cluster, 'push-1');
  const { fits, why } = connectionsThatFit(settings.connections, serverPid);
  if (fits < settings.connections) {
    console.log(
      `!! ${count(settings.connections)} idle connections cannot fit: ${why}. ` +
        `Holding ${count(fits)} instead; raise the limit (e.g. \`ulimit -n 65536\`) and run again.`,
    );
  }

  // The idle phones belong to an account of their own, which is never prompted.
  const idleUser = `idle${stamp}`;
  expectStatus(
    await new HttpClient(lbA).post('/api/v1/register', { username: idleUser, password: PASSWORD }),
    201,
    'register the idle account',
  );
  let started = performance.now();
  const devices = await insertIdleDevices(
    cluster.databaseUrl,
    await userIdOf(cluster.databaseUrl, idleUser),
    fits,
  );
  console.log(`  ${count(fits)} device rows with fresh keys inserted in ${seconds(started)} s`);

  const before = await memorySnapshot(cluster, serverPid);
  started = performance.now();
  let reported = 0;
  const fleet: IdleFleet = await connectIdleFleet(
    `ws://127.0.0.1:${cluster.ports.push[0]}/push/v1/connect`,
    devices,
    settings.batch,
    (done) => {
      if (done - reported >= 2_000 || done === devices.length) {
        reported = done;
        console.log(
          `  idle phones: ${count(done)}/${count(devices.length)} attempted in ${seconds(started)} s`,
        );
      }
    },
  );
  closers.push(() => fleet.close());
  await sleep(SETTLE_MS);
  const held = await memorySnapshot(cluster, serverPid);

  // A phone of its own account on push-1 directly, prompted while the idle ones stay connected.
  const phones: Phone[] = [];
  for (const account of loadedAccounts) {
    const phone = await phoneVia(account.phone, pushUrl);
    closers.push(() => phone.close());
    const replica = await connectPhone(phone);
    if (replica !== 'push-1') throw new Error(`the direct phone landed on ${replica}, not push-1`);
    phones.push(phone);
  }
  await scrapeMetrics(pushUrl, []); // a scrape resets the event-loop delay histogram
  const loaded = await runPrompts({
    label: `prompts to push-1 beside ${count(fleet.sockets.length)} idle`,
    lb: lbA,
    accounts: loadedAccounts,
    phones,
    warmup: LOADED_WARMUP,
    count: settings.loadedPrompts,
    approve: false,
    pause: () => (Math.random() * 2 * LOADED_SPAN_MS) / (LOADED_WARMUP + settings.loadedPrompts),
  });
  const loop = await scrapeMetrics(pushUrl, [
    'nodejs_eventloop_lag_max_seconds',
    'nodejs_eventloop_lag_p99_seconds',
  ]);
  for (const phone of phones) await phone.close();
  await fleet.close();
  await sleep(3_000);
  return {
    wanted: settings.connections,
    held: fleet.sockets.length,
    connectMs: fleet.connectMs,
    before,
    whileHeld: held,
    afterClose: await memorySnapshot(cluster, serverPid),
    loopDelay: {
      max: loop.get('nodejs_eventloop_lag_max_seconds'),
      p99: loop.get('nodejs_eventloop_lag_p99_seconds'),
    },
    sweeps: pingSweeps(fleet.pings),
    failures: fleet.failures,
    dropped: fleet.dropped,
    loaded,
  };
}

const seconds = (since: number) => ((performance.now() - since) / 1000).toFixed(1);
const count = (n: number) => n.toLocaleString('en-US');
const tally = <K>(map: Map<K, number>) =>
  [...map].map(([key, n]) => `${count(n)} × ${String(key)}`).join('; ') || 'none';

function printSummary(settings: Settings, viaLb: PromptFigures, idle: IdleFigures | undefined): void {
  const line = (f: Figures) => describeFigures(f);
  const prompt = figures(viaLb.prompt);
  console.log(`\n--- push summary: ${settings.command} ---`);
  console.log(
    `targets: push prompt p99 under ${TARGET_P99_MS} ms; ${count(TARGET_CONNECTIONS)} idle connections per push replica`,
  );
  console.log(`push prompt latency via lb-a (n=${prompt.n}): ${line(prompt)}`);
  console.log(`  target p99 under ${TARGET_P99_MS} ms: ${prompt.p99 < TARGET_P99_MS ? 'met' : 'NOT met'}`);
  console.log(`  phones on: ${tally(viaLb.replicas)}`);
  const post = figures(viaLb.post);
  console.log(`POST /api/v1/login/push response via lb-a (n=${post.n}): ${line(post)}`);
  const approve = figures(viaLb.approve);
  console.log(`approve → browser authenticated via lb-a (n=${approve.n}): ${line(approve)}`);
  const answer = figures(viaLb.answer);
  console.log(`  of which the phone's answer POST (n=${answer.n}): ${line(answer)}`);
  if (!idle) return;
  const { before, whileHeld: held, afterClose } = idle;
  const perConnection = (from: number, to: number) =>
    idle.held > 0 ? `${((to - from) / idle.held).toFixed(1)} KiB each` : 'n/a';
  console.log(
    `push-1 idle connections: ${count(idle.held)} held, RSS ${mib(before.rssKiB)} → ${mib(held.rssKiB)}, ` +
      perConnection(before.rssKiB, held.rssKiB),
  );
  console.log(
    `  target ${count(TARGET_CONNECTIONS)} per replica: ${idle.held >= TARGET_CONNECTIONS ? 'met' : 'NOT met'}` +
      ` (asked for ${count(idle.wanted)}; push-1's twofold_push_connections gauge: ${held.connections ?? '?'})`,
  );
  console.log(
    `  ${held.collected ? 'after a full GC at each reading (inspector)' : 'no GC could be forced'}; ` +
      `RSS as found ${mib(before.rssAsFoundKiB)} → ${mib(held.rssAsFoundKiB)}, ` +
      perConnection(before.rssAsFoundKiB, held.rssAsFoundKiB),
  );
  if (before.heapUsed !== undefined && held.heapUsed !== undefined) {
    console.log(
      `  V8 heap used ${mib(before.heapUsed / 1024)} → ${mib(held.heapUsed / 1024)}, ` +
        perConnection(before.heapUsed / 1024, held.heapUsed / 1024),
    );
  }
  console.log(
    `  after closing all: RSS ${mib(afterClose.rssKiB)}, heap used ` +
      `${afterClose.heapUsed === undefined ? '?' : mib(afterClose.heapUsed / 1024)}, gauge ${afterClose.connections ?? '?'}`,
  );
  console.log(
    `  connected in ${(idle.connectMs / 1000).toFixed(1)} s (${count(Math.round(idle.held / (idle.connectMs / 1000)))}/s, ` +
      `${count(settings.batch)} at a time); failed to connect: ${tally(idle.failures)}; dropped while held: ${tally(idle.dropped)}`,
  );
  const full = idle.sweeps.filter((sweep) => sweep.pings >= idle.held * 0.9);
  console.log(
    `  push-1's ping sweeps seen here while held: ${idle.sweeps.map((sweep) => `${count(sweep.pings)} pings over ${sweep.spreadMs.toFixed(0)} ms`).join(', ') || 'none'}` +
      (full.length === 0 ? ' (no full sweep: the hold was shorter than the ping interval)' : ''),
  );
  const loaded = figures(idle.loaded.prompt);
  console.log(
    `push prompt latency direct to push-1 beside ${count(idle.held)} idle (n=${loaded.n}): ${line(loaded)}`,
  );
  console.log(`  POST /api/v1/login/push response meanwhile: ${line(figures(idle.loaded.post))}`);
  const lag = (value: number | undefined) => (value === undefined ? '?' : ms(value * 1000));
  console.log(
    `  push-1 event-loop delay (sampled every 10 ms, so 10 ms means idle) over those ${(idle.loaded.durationMs / 1000).toFixed(0)} s: max ${lag(idle.loopDelay.max)}, p99 ${lag(idle.loopDelay.p99)}`,
  );
}

export async function benchPush(): Promise<void> {
  const settings = readSettings();
  console.log(
    `push channel on a local cluster: ${settings.prompts} prompts via lb-a (+${settings.warmup} warm-up), ` +
      `${count(settings.connections)} idle phones on push-1, ${settings.loadedPrompts} prompts beside them`,
  );
  // Phone state on tmpfs where there is one: a phone saves (fsync) before it shows a prompt, and
  // that disk write is the phone's cost, not the push channel's.
  const stateDir = await mkdtemp(
    path.join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'twofold-bench-push-'),
  );
  try {
    const started = performance.now();
    const cluster = await startTestCluster({
      authEnv: { TWOFOLD_MAX_PUSH_PROMPTS: String(PROMPT_BUDGET) },
      // An inspector on a free loopback port, so the bench can ask push-1 for a full GC before it
      // reads memory; unused otherwise.
      pushEnv: { NODE_OPTIONS: `${env.NODE_OPTIONS ?? ''} --inspect=127.0.0.1:0`.trim() },
    });
    console.log(`  cluster up in ${seconds(started)} s (data in ${cluster.dataDir})`);
    const closers: Array<() => Promise<void>> = [];
    try {
      await benchOnCluster(cluster, settings, stateDir, closers);
    } finally {
      for (const close of closers.reverse()) {
        await close().catch((error: Error) => console.log(`  while closing: ${error.message}`));
      }
      await cluster.destroy();
    }
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
}

async function benchOnCluster(
  cluster: TestCluster,
  settings: Settings,
  stateDir: string,
  closers: Array<() => Promise<void>>,
): Promise<void> {
  const [lbA] = cluster.lbUrls as [string];
  const stamp = Date.now().toString(36);
  const phoneErrors: string[] = [];
  const started = performance.now();
  const viaLbAccounts = await accountsFor(settings.warmup + settings.prompts, lbA, `lb${stamp}-`, stateDir);
  const loadedAccounts =
    settings.connections > 0
      ? await accountsFor(LOADED_WARMUP + settings.loadedPrompts, lbA, `ld${stamp}-`, stateDir)
      : [];
  console.log(
    `  ${viaLbAccounts.length + loadedAccounts.length} accounts enrolled, phones paired through lb-a in ` +
      `${seconds(started)} s`,
  );
  for (const account of [...viaLbAccounts, ...loadedAccounts]) {
    account.phone.on('error', (error) => phoneErrors.push(`${account.username}: ${error.message}`));
    closers.push(() => account.phone.close());
  }
  for (const account of viaLbAccounts) await connectPhone(account.phone);

  const viaLb = await runPrompts({
    label: 'prompts via lb-a',
    lb: lbA,
    accounts: viaLbAccounts,
    phones: viaLbAccounts.map((account) => account.phone),
    warmup: settings.warmup,
    count: settings.prompts,
    approve: true,
  });
  for (const account of viaLbAccounts) await account.phone.close();

  const idle =
    settings.connections > 0
      ? await idleConnections(cluster, settings, loadedAccounts, stamp, closers)
      : undefined;
  printSummary(settings, viaLb, idle);
  const members = ['push-1', 'push-2', ...cluster.ports.auth.map((_, i) => `auth-${i + 1}`)];
  const troubles: string[] = [];
  for (const member of members) {
    const { count: lines, messages } = await logTroubles(memberLogFile(cluster.dataDir, member));
    if (lines > 0) troubles.push(`${member}: ${tally(messages)}`);
  }
  console.log(`replica log lines at warn or above: ${troubles.join(' | ') || 'none'}`);
  console.log(
    `phone errors reported: ${phoneErrors.length === 0 ? 'none' : phoneErrors.slice(0, 5).join('; ')}`,
  );
}
