// The cluster's own exporters (the monitoring members, on loopback, holding their credentials
// themselves) read before and after a phase: Redis commands by name on the master, and transactions
// committed in the `twofold` database. Divided by the operations of the phase, they are the round
// trips per login or per session check.
import type { Member } from './capacity-processes.ts';

/** Samples of one metric (Prometheus text format) by their label string, e.g. `{cmd="get"}`. */
export async function scrapeSamples(url: string, metric: string): Promise<Map<string, number>> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
  const samples = new Map<string, number>();
  for (const line of (await response.text()).split('\n')) {
    if (!line.startsWith(`${metric}{`) && !line.startsWith(`${metric} `)) continue;
    const match = /^[^{\s]+(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (match) samples.set(match[1] ?? '', Number(match[2]));
  }
  return samples;
}

export interface StoreCounters {
  /** Commands run by the Redis master, by command name. */
  redis: Map<string, number>;
  /** Transactions committed in the twofold database (all servers). */
  pgCommits: number;
}

export interface ExporterUrls {
  redis: string | undefined;
  postgres: string | undefined;
}

export function exporterUrls(members: Member[], redisMasterPort: number | undefined): ExporterUrls {
  const port = (name: string) => members.find((m) => m.name === name)?.port;
  const redis = port('redis-exporter');
  const postgres = port('postgres-exporter');
  return {
    redis:
      redis && redisMasterPort
        ? `http://127.0.0.1:${redis}/scrape?target=redis://127.0.0.1:${redisMasterPort}`
        : undefined,
    postgres: postgres ? `http://127.0.0.1:${postgres}/metrics` : undefined,
  };
}

export async function readStoreCounters(urls: ExporterUrls, errors: string[]): Promise<StoreCounters> {
  const counters: StoreCounters = { redis: new Map(), pgCommits: 0 };
  if (urls.redis) {
    try {
      for (const [labels, value] of await scrapeSamples(urls.redis, 'redis_commands_total')) {
        counters.redis.set(/cmd="([^"]*)"/.exec(labels)?.[1] ?? labels, value);
      }
    } catch (error) {
      errors.push(`redis exporter: ${(error as Error).message}`);
    }
  }
  if (urls.postgres) {
    try {
      for (const [labels, value] of await scrapeSamples(urls.postgres, 'pg_stat_database_xact_commit')) {
        if (labels.includes('datname="twofold"')) counters.pgCommits += value;
      }
    } catch (error) {
      errors.push(`postgres exporter: ${(error as Error).message}`);
    }
  }
  return counters;
}

/** What happened between two readings. */
export function storeCountersBetween(before: StoreCounters, after: StoreCounters): StoreCounters {
  const redis = new Map<string, number>();
  for (const [cmd, value] of after.redis) {
    const delta = value - (before.redis.get(cmd) ?? 0);
    if (delta > 0) redis.set(cmd, delta);
  }
  return { redis, pgCommits: after.pgCommits - before.pgCommits };
}

/** "12.0 Redis commands (eval 3.0, get 2.0, ...), 4.0 PostgreSQL commits" per operation. */
export function perOperation(
  counters: StoreCounters,
  operations: number,
  skip = ['info', 'ping', 'replconf'],
): string {
  const n = Math.max(1, operations);
  const commands = [...counters.redis].filter(([cmd]) => !skip.includes(cmd)).sort((a, b) => b[1] - a[1]);
  const total = commands.reduce((sum, [, value]) => sum + value, 0);
  const each = commands
    .filter(([, value]) => value / n >= 0.05)
    .map(([cmd, value]) => `${cmd} ${(value / n).toFixed(2)}`)
    .join(', ');
  return `${(total / n).toFixed(2)} Redis commands (${each || 'none'}), ${(counters.pgCommits / n).toFixed(2)} PostgreSQL commits`;
}
