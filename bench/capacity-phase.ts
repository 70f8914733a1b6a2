// One measured phase: the load loop, plus what the processes did during its recorded window only
// (CPU per process group from /proc, and the replicas' own counters from /metrics, as differences).
import {
  type ExporterUrls,
  readStoreCounters,
  type StoreCounters,
  storeCountersBetween,
} from './capacity-exporters.ts';
import type { Timing } from './capacity-loops.ts';
import { type CpuSample, cpuBetween, type ProcessGroup, sampleCpu } from './capacity-processes.ts';
import type { PhaseResult } from './capacity-recorder.ts';
import type { CpuBreakdown } from './capacity-report.ts';
import { scrapeMetrics } from './push-support.ts';

/** Replica counters whose increase over a phase the report uses. */
export const REPLICA_COUNTERS = [
  'twofold_password_hash_duration_seconds_sum',
  'twofold_password_hash_duration_seconds_count',
  'twofold_password_hash_refused_total',
  'twofold_http_request_duration_seconds_sum',
  'twofold_http_request_duration_seconds_count',
];

export interface Measured {
  result: PhaseResult;
  cpu: CpuBreakdown;
  /** Increase of each of REPLICA_COUNTERS, summed over the replicas (empty when none were asked). */
  counters: Map<string, number>;
  /** Redis commands and PostgreSQL commits during the window (from the cluster's exporters). */
  stores: StoreCounters;
  /** Scrapes that failed (a replica down, /metrics refused): shown, never hidden. */
  scrapeErrors: string[];
}

async function scrapeAll(urls: string[], errors: string[]): Promise<Map<string, number>> {
  const total = new Map<string, number>();
  for (const url of urls) {
    try {
      for (const [name, value] of await scrapeMetrics(url, REPLICA_COUNTERS)) {
        total.set(name, (total.get(name) ?? 0) + value);
      }
    } catch (error) {
      errors.push(`${url}: ${(error as Error).message}`);
    }
  }
  return total;
}

export async function measured(
  groups: ProcessGroup[],
  replicaUrls: string[],
  timing: Timing,
  run: (timing: Timing) => Promise<PhaseResult>,
  stores: ExporterUrls = { redis: undefined, postgres: undefined },
): Promise<Measured> {
  let before: CpuSample | undefined;
  let after: CpuSample | undefined;
  const scrapeErrors: string[] = [];
  let countersBefore: Promise<Map<string, number>> = Promise.resolve(new Map());
  let countersAfter: Promise<Map<string, number>> = Promise.resolve(new Map());
  let storesBefore: Promise<StoreCounters> | undefined;
  let storesAfter: Promise<StoreCounters> | undefined;
  const result = await run({
    ...timing,
    onWindowStart: () => {
      before = sampleCpu(groups);
      countersBefore = scrapeAll(replicaUrls, scrapeErrors);
      storesBefore = readStoreCounters(stores, scrapeErrors);
      timing.onWindowStart?.();
    },
    onWindowEnd: () => {
      after = sampleCpu(groups);
      countersAfter = scrapeAll(replicaUrls, scrapeErrors);
      storesAfter = readStoreCounters(stores, scrapeErrors);
      timing.onWindowEnd?.();
    },
  });
  if (!before || !after || !storesBefore || !storesAfter)
    throw new Error(`${result.label}: the recorded window never opened or closed`);
  const [start, end] = await Promise.all([countersBefore, countersAfter]);
  const counters = new Map([...end].map(([name, value]) => [name, value - (start.get(name) ?? 0)]));
  const storeCounters = storeCountersBetween(await storesBefore, await storesAfter);
  return { result, cpu: cpuBetween(before, after), counters, stores: storeCounters, scrapeErrors };
}
