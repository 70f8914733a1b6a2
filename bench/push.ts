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
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { env } from 'node:process';
import { memberLogFile } from '../deploy/src/paths.ts';
import { startTestCluster, type TestCluster } from '../test/support/cluster.ts';
import { idleConnections, LOADED_WARMUP } from './push-capacity.ts';
import { accountsFor, connectPhone, PROMPT_BUDGET, runPrompts } from './push-prompts.ts';
import { count, printSummary, seconds, tally } from './push-report.ts';
import { readSettings, type Settings } from './push-settings.ts';
import { logTroubles } from './push-support.ts';

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
