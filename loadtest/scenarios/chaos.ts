// The chaos presets: the mixed blend at a steady rate while one member is killed 10 s in and
// restarted 20 s later (--restart-after). `pg-primary`, `redis-master` and `push-holder` (the push
// replica holding most phones) are resolved at the moment of the kill.
import type { Scenario } from '../lib/flow.ts';
import { mixedBlend } from './mixed.ts';
import { pushLoginFlow } from './push-login.ts';

const chaos = (name: string, member: string, description: string, blend = mixedBlend): Scenario => ({
  name,
  description: `mixed load; ${description}`,
  defaults: { rate: 10, durationS: 50 },
  blend,
  kills: [{ member, atS: 10 }],
});

/** More push logins than the plain blend, so the push replica's kill is felt. */
const pushHeavy = mixedBlend.map((entry) =>
  entry.flow === pushLoginFlow ? { ...entry, weight: 15 } : entry,
);

export const chaosScenarios: Scenario[] = [
  chaos('chaos-replica', 'auth-1', 'SIGKILL auth-1 at 10 s'),
  chaos('chaos-postgres', 'pg-primary', 'SIGKILL the PostgreSQL primary (Patroni + postmaster) at 10 s'),
  chaos('chaos-redis', 'redis-master', 'SIGKILL the Redis master at 10 s'),
  chaos('chaos-push', 'push-holder', 'SIGKILL the push replica holding most phones at 10 s', pushHeavy),
  chaos('chaos-lb', 'lb-a', 'SIGKILL lb-a at 10 s'),
];
