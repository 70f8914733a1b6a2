// What Patroni's REST API says about a node and the cluster, in the words `status` uses.
import { getJson } from './http-json.ts';

export type PostgresRole = 'primary' | 'sync_standby' | 'replica' | 'stopped' | string;

interface NodeAnswer {
  state?: string;
  role?: string;
  sync_standby?: boolean;
}

/** The node's role now: primary, sync_standby or replica when PostgreSQL runs, else its state. */
export function describeNode(answer: NodeAnswer): { role: PostgresRole; running: boolean } {
  if (answer.state !== 'running') return { role: answer.state ?? 'unknown', running: false };
  if (answer.role === 'master' || answer.role === 'primary') return { role: 'primary', running: true };
  return { role: answer.sync_standby ? 'sync_standby' : 'replica', running: true };
}

/** Asks one node's REST API (GET /patroni); 'stopped' when it does not answer. */
export async function nodeStatus(restPort: number, timeoutMs = 1500) {
  try {
    const { body } = await getJson(`http://127.0.0.1:${restPort}/patroni`, timeoutMs);
    return describeNode((body ?? {}) as NodeAnswer);
  } catch {
    return { role: 'stopped' as PostgresRole, running: false };
  }
}

export interface ClusterMember {
  name: string;
  /** Patroni's words: leader, sync_standby, replica. */
  role: string;
  state: string;
  port?: number;
}

/** GET /cluster from the first node that answers: the view Patroni keeps in etcd. */
export async function clusterView(
  restPorts: number[],
  timeoutMs = 1500,
): Promise<ClusterMember[] | undefined> {
  for (const port of restPorts) {
    try {
      const { status, body } = await getJson(`http://127.0.0.1:${port}/cluster`, timeoutMs);
      if (status === 200) return ((body as { members?: ClusterMember[] }).members ?? []) as ClusterMember[];
    } catch {
      // that node is down: ask the next
    }
  }
  return undefined;
}

/** The member holding the leader lock with PostgreSQL running, if any. */
export const runningLeader = (members: ClusterMember[] | undefined) =>
  members?.find((member) => member.role === 'leader' && member.state === 'running')?.name;

export const syncStandby = (members: ClusterMember[] | undefined) =>
  members?.find((member) => member.role === 'sync_standby' && member.state !== 'stopped')?.name;
