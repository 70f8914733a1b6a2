import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { createMetricsRegistry } from '../../common/src/metrics-registry.ts';

export interface PushMetrics {
  registry: Registry;
  handshakes: Counter<'result'>;
  messages: Counter<'event'>;
  /** From when an auth replica queued a message to when this replica wrote it to the phone's socket. */
  delivery: Histogram;
}

export interface PushMetricsSources {
  /** Connections with a proven device key. */
  connections(): number;
  /** Distinct phones (devices) among them. */
  phones(): number;
}

/** Up to the lifetime of a prompt: a message that waited longer than that has expired, not been sent. */
const DELIVERY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export function createPushMetrics(replica: string, sources: PushMetricsSources): PushMetrics {
  const registry = createMetricsRegistry({ service: 'push', replica });
  new Gauge({
    name: 'twofold_push_connections',
    help: 'Phones connected to this replica with a proven device key.',
    registers: [registry],
    collect() {
      this.set(sources.connections());
    },
  });
  new Gauge({
    name: 'twofold_push_connected_phones',
    help: 'Distinct phones (devices) connected to this replica with a proven device key.',
    registers: [registry],
    collect() {
      this.set(sources.phones());
    },
  });
  return {
    registry,
    handshakes: new Counter({
      name: 'twofold_push_handshakes_total',
      help: 'Device-key proofs at connection, by result.',
      labelNames: ['result'],
      registers: [registry],
    }),
    messages: new Counter({
      name: 'twofold_push_messages_total',
      help: 'Messages sent to phones and acknowledged by them.',
      labelNames: ['event'],
      registers: [registry],
    }),
    delivery: new Histogram({
      name: 'twofold_push_delivery_seconds',
      help: 'Time from a message (login prompt, code) being queued by an auth replica to its write to the phone.',
      buckets: DELIVERY_BUCKETS,
      registers: [registry],
    }),
  };
}
