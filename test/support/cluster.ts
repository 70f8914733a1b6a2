// A whole local cluster on spare ports, for tests that go through nginx like a browser does.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  type Cluster,
  type ClusterOptions,
  MemberStartError,
  startCluster,
} from '../../deploy/src/cluster.ts';
import { tailFile } from '../../deploy/src/files.ts';
import type { MemberStatus } from '../../deploy/src/member-status.ts';
import { allPorts, DEFAULT_AUTH_REPLICAS, derivePorts, isPortInUse } from '../../deploy/src/ports.ts';

/**
 * A port base whose every derived port is free right now. Bases stay below Linux's ephemeral
 * range (32768+), where outgoing connections could take a port between this check and the bind.
 */
export async function spareBase(authReplicas = DEFAULT_AUTH_REPLICAS): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    // Steps of 60 keep two bases' port ranges (base..base+58) apart; the last base is 32_680.
    const base = 20_000 + 60 * Math.floor(Math.random() * 212);
    const all = allPorts(derivePorts(base, authReplicas));
    if (!(await Promise.all(all.map((port) => isPortInUse(port)))).some(Boolean)) return base;
  }
  throw new Error('no spare port base found');
}

export interface TestCluster extends Cluster {
  dataDir: string;
  /** Stops the cluster and removes its data directory. */
  destroy(): Promise<void>;
}

/** Starts the real cluster (real replicas) in a fresh temporary data directory. */
export async function startTestCluster(options: Partial<ClusterOptions> = {}): Promise<TestCluster> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'twofold-e2e-'));
  await chmod(dataDir, 0o755); // PostgreSQL runs as `postgres`, who must be able to enter it
  try {
    const cluster = await startCluster({
      dataDir,
      portBase: await spareBase(options.authReplicas),
      detached: false, // an interrupted test run takes the cluster down with it
      // The client loops send a crowd's traffic from 127.0.0.1: no flood limit at the edge
      // (deploy/test/nginx-edge.test.ts tests it).
      edgeApiRatePerSecond: 0,
      ...options,
      // The failover tests' client loops send far more from 127.0.0.1 than a person would.
      authEnv: {
        TWOFOLD_RATE_LIMIT_MAX: '1000000',
        TWOFOLD_MAX_REGISTRATIONS_PER_IP: '1000000',
        ...options.authEnv,
      },
    });
    return {
      ...cluster,
      dataDir,
      destroy: async () => {
        await cluster.stop();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    // The data directory goes away with the failure, so carry the failing member's log along.
    if (error instanceof MemberStartError) error.message += `\n${await tailFile(error.logFile, 30)}`;
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Polls until every member (of those `which` picks) says it is healthy and Patroni names a running
 * primary (through etcd); gives the seconds that took, or the members still unhealthy at the deadline.
 */
export async function waitUntilHealthy(
  cluster: Cluster,
  timeoutMs = 60_000,
  which: (member: MemberStatus) => boolean = () => true,
): Promise<{ seconds: number; unhealthy: string[] }> {
  const start = Date.now();
  for (;;) {
    const unhealthy = (await cluster.status())
      .filter((m) => which(m) && !m.healthy)
      .map((m) => `${m.name} (${m.detail})`);
    const primary = await cluster.resolve('pg-primary').catch(() => undefined);
    if (!primary) unhealthy.push('pg-primary (no leader in etcd)');
    const seconds = (Date.now() - start) / 1000;
    if (unhealthy.length === 0 || Date.now() - start > timeoutMs) return { seconds, unhealthy };
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
