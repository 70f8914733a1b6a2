// A single-node etcd on loopback: the distributed configuration store Patroni keeps its
// leader lock in. Its data directory survives restarts, so the cluster remembers its leader.
import { binaries, requireBinary } from './binaries.ts';
import { type EtcdPasswords, ensureEtcdAuth } from './etcd-auth.ts';
import { ensureDir } from './files.ts';
import { memberUser } from './member-user.ts';
import { memberDir, memberLogFile, memberPidFile } from './paths.ts';
import { isPortInUse } from './ports.ts';
import {
  type ChildOptions,
  type ProcessHandle,
  readyOnHttp,
  startProcess,
  stopperOf,
} from './process-handle.ts';

export interface EtcdOptions extends ChildOptions {
  dataDir: string;
  clientPort: number;
  peerPort: number;
  /** Authentication is switched on with these users at the first start (absent: stays off). */
  passwords?: EtcdPasswords;
}

export interface EtcdServer {
  member: string;
  url: string;
  handle: ProcessHandle;
  stop(): Promise<void>;
}

export function etcdArgs({
  dir,
  clientPort,
  peerPort,
}: {
  dir: string;
  clientPort: number;
  peerPort: number;
}) {
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  return [
    '--name=etcd',
    `--data-dir=${dir}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=etcd=${peer}`,
    // Ignored once the data directory holds a cluster.
    '--initial-cluster-state=new',
    `--initial-cluster-token=twofold-${clientPort}`,
    // No v2 API: it has an authentication of its own that would stay off; Patroni speaks v3.
    '--enable-v2=false',
    // Patroni renews its leader key every loop: keep the history from growing without end.
    '--auto-compaction-mode=revision',
    '--auto-compaction-retention=1000',
    '--logger=zap',
    '--log-outputs=stderr',
  ];
}

export async function startEtcd(options: EtcdOptions): Promise<EtcdServer> {
  const member = 'etcd';
  const dir = memberDir(options.dataDir, member);
  await ensureDir(dir, 0o700);
  for (const port of [options.clientPort, options.peerPort]) {
    if (await isPortInUse(port)) throw new Error(`${member}: port ${port} is already in use`);
  }
  const user = await memberUser('etcd', dir, options.dataDir);
  const handle = await startProcess({
    member,
    user,
    command: requireBinary(binaries.etcd),
    args: etcdArgs({ dir, clientPort: options.clientPort, peerPort: options.peerPort }),
    cwd: dir,
    // etcd takes any ETCD_* variable as a flag: none may leak in from our environment.
    env: { PATH: process.env.PATH, HOME: dir },
    logFile: memberLogFile(options.dataDir, member),
    pidFile: memberPidFile(options.dataDir, member),
    stopSignal: 'SIGTERM',
    stopTimeoutMs: 10_000,
    ref: options.ref,
    detached: options.detached,
  });
  const url = `http://127.0.0.1:${options.clientPort}`;
  await readyOnHttp(handle, `${url}/health`, `${member} to answer 200 on GET /health`, 30_000);
  if (options.passwords) {
    try {
      await ensureEtcdAuth(url, options.passwords);
    } catch (error) {
      await handle.stop();
      throw error;
    }
  }
  return {
    member,
    url,
    handle,
    stop: stopperOf(handle),
  };
}
