// Idle phones held by one push replica (push-1, directly, not through nginx), the memory they cost,
// and prompt latency to one more phone on push-1 while they stay connected.
import { readFileSync } from 'node:fs';
import { memberLogFile } from '../deploy/src/paths.ts';
import type { Phone } from '../services/phone/src/phone.ts';
import type { TestCluster } from '../test/support/cluster.ts';
import { HttpClient } from '../test/support/http-client.ts';
import {
  connectIdleFleet,
  type IdleFleet,
  insertIdleDevices,
  type PingSweep,
  pingSweeps,
  userIdOf,
} from './push-idle.ts';
import { connectPhone, PASSWORD, type PromptFigures, runPrompts } from './push-prompts.ts';
import { count, seconds } from './push-report.ts';
import type { Settings } from './push-settings.ts';
import {
  type BenchAccount,
  collectGarbage,
  ephemeralPortCount,
  expectStatus,
  openFileCount,
  openFileLimit,
  phoneVia,
  procStatusKiB,
  scrapeMetrics,
  sleep,
} from './push-support.ts';

export const LOADED_WARMUP = 5;
/**
 * The prompts beside the idle phones are spread over this long (random pauses), so that they
 * overlap at least one of push-1's ping sweeps (every phone is pinged every 25 s).
 */
const LOADED_SPAN_MS = 30_000;
/** Left free of the open-file limits for everything else the processes hold. */
const FD_MARGIN = 256;
/** After the last idle phone is ready, before memory is read. */
const SETTLE_MS = 5_000;

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
export interface MemorySnapshot {
  rssAsFoundKiB: number;
  rssKiB: number;
  heapUsed: number | undefined;
  connections: number | undefined;
  collected: boolean;
}

export interface IdleFigures {
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

export async function idleConnections(
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
