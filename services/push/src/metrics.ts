import { Counter, Gauge, type Registry } from 'prom-client';
import { createMetricsRegistry } from '../../common/src/metrics-registry.ts';

export interface PushMetrics {
  registry: Registry;
  handshakes: Counter<'result'>;
  messages: Counter<'event'>;
}

export function createPushMetrics(replica: string, connections: () => number): PushMetrics {
  const registry = createMetricsRegistry({ service: 'push', replica });
  new Gauge({
    name: 'twofold_push_connections',
    help: 'Phones connected to this replica with a proven device key.',
    registers: [registry],
    collect() {
      this.set(connections());
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
  };
}
