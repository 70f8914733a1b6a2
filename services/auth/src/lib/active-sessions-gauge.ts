import { Gauge, type Registry } from 'prom-client';
import { withTimeout } from '../../../common/src/with-timeout.ts';

/** A scrape must never wait long on Redis: past this, the last figure is exported again. */
const COUNT_TIMEOUT_MS = 1_000;
/** Every replica exports the same cluster-wide figure; there is no need to ask Redis at each scrape. */
const CACHE_MS = 15_000;

/**
 * `twofold_active_sessions`: signed-in sessions across the cluster (not only this replica's),
 * read at scrape time, at most every 15 s; while Redis does not answer, the last value stays.
 */
export function registerActiveSessionsGauge(
  registry: Registry,
  countSignedIn: () => Promise<number>,
  now: () => number = Date.now,
): void {
  let countedAt = Number.NEGATIVE_INFINITY;
  let last: number | undefined;
  new Gauge({
    name: 'twofold_active_sessions',
    help: 'Signed-in sessions in Redis, cluster-wide (each replica reports the same figure)',
    registers: [registry],
    async collect() {
      if (now() - countedAt >= CACHE_MS) {
        try {
          last = await withTimeout('redis session count', COUNT_TIMEOUT_MS, countSignedIn());
          countedAt = now();
        } catch {
          // Left as it was: a Redis failover must not make the dashboard show everyone signed out.
        }
      }
      if (last !== undefined) this.set(last);
    },
  });
}
