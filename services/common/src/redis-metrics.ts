import type { Redis } from 'ioredis';
import { Counter, type Registry } from 'prom-client';

const RECONNECTS = 'twofold_redis_reconnects_total';
const MASTER_CHANGES = 'twofold_redis_master_changes_total';

/** The counters of one registry, created by the first client instrumented on it. */
function counter(registry: Registry, name: string, help: string): Counter {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter;
  return new Counter({ name, help, registers: [registry] });
}

/**
 * Tells apart "the connection came back" from "it came back to another server": a replica's
 * clients share one tracker, so a failover counts once however many clients follow it.
 */
export class MasterChangeTracker {
  #current: string | undefined;

  /** True when `address` differs from the last server any client connected to. */
  connectedTo(address: string): boolean {
    const changed = this.#current !== undefined && this.#current !== address;
    this.#current = address;
    return changed;
  }
}

const trackers = new WeakMap<Registry, MasterChangeTracker>();

/**
 * Counts the client's reconnection attempts and master changes on the app's registry. The address
 * compared is where the socket really went, which under Sentinel is the master it was told of; it is
 * never exported (hosts would make the series unbounded).
 */
export function instrumentRedis(client: Redis, registry: Registry): void {
  const reconnects = counter(registry, RECONNECTS, 'Redis reconnection attempts (ioredis "reconnecting")');
  const masterChanges = counter(
    registry,
    MASTER_CHANGES,
    'Connections to a Redis master other than the one connected to before (a Sentinel failover)',
  );
  let tracker = trackers.get(registry);
  if (!tracker) {
    tracker = new MasterChangeTracker();
    trackers.set(registry, tracker);
  }
  const seen = tracker;
  client.on('reconnecting', () => reconnects.inc());
  client.on('connect', () => {
    const { remoteAddress, remotePort } = client.stream ?? {};
    if (remoteAddress === undefined) return;
    if (seen.connectedTo(`${remoteAddress}:${remotePort}`)) masterChanges.inc();
  });
}
