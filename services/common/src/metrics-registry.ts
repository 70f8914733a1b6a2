import { collectDefaultMetrics, Registry } from 'prom-client';

/** A private registry per app instance, so two instances in one test process do not collide. */
export function createMetricsRegistry(labels: Record<string, string>): Registry {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  collectDefaultMetrics({ register: registry });
  return registry;
}
