// One push gateway replica (services/push): a replica (see replica.ts) with only the shared
// settings; it needs no session secret, no encryption keys and no SMTP.
import { type Replica, type ReplicaOptions, replicaEntry, replicaEnv, startReplica } from './replica.ts';

/** The gateway's entry point; TWOFOLD_PUSH_ENTRY overrides it (a stand-in server for smoke tests). */
export const pushEntry = (): string => replicaEntry('push');

export type PushReplicaOptions = ReplicaOptions;
export type PushReplica = Replica;

export const pushReplicaEnv = (options: PushReplicaOptions): NodeJS.ProcessEnv => replicaEnv('push', options);

export const startPushReplica = (options: PushReplicaOptions): Promise<PushReplica> =>
  startReplica('push', options);
