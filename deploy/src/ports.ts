// Every port of the local cluster is derived from one base, so a test can run a whole
// cluster beside a running one just by picking another base.
import net from 'node:net';

export const DEFAULT_PORT_BASE = 8080;
/** auth-N listens on base+10+N and pg-1 on base+20, so at most 9 auth replicas fit. */
export const MAX_AUTH_REPLICAS = 9;
export const DEFAULT_AUTH_REPLICAS = 3;

/**
 * Offsets from the base (default base 8080 in brackets):
 *   +0, +1     lb-a, lb-b (nginx)                       [8080, 8081]
 *   +11..+19   auth-1..auth-9                           [8091..8099]
 *   +20, +21   pg-1, pg-2 (PostgreSQL)                  [8100, 8101]
 *   +22, +23   Patroni REST API of pg-1, pg-2           [8102, 8103]
 *   +25, +26   HAProxy read-write, read-only            [8105, 8106]
 *   +27        HAProxy stats page and /metrics          [8107]
 *   +30, +31   redis-1, redis-2                         [8110, 8111]
 *   +32..+34   sentinel-1..sentinel-3                   [8112..8114]
 *   +35, +36   push-1, push-2 (push gateway)            [8115, 8116]
 *   +40, +41   etcd client, etcd peer                   [8120, 8121]
 *   +45, +46   mail sink: SMTP, its web page            [8125, 8126]
 *   +47        demo application (examples/whoami)       [8127]
 *   +50, +51   Prometheus, Alertmanager                 [8130, 8131]
 *   +52        node exporter (the machine)              [8132]
 *   +53, +54   Redis exporter, PostgreSQL exporter      [8133, 8134]
 *   +55, +56   nginx exporters of lb-a, lb-b            [8135, 8136]
 *   +57, +58   nginx stub_status of lb-a, lb-b          [8137, 8138]
 * The supervisor's control API is a unix socket (<dataDir>/run/control.sock), not a port.
 */
const HIGHEST_OFFSET = 58;

export interface PortMap {
  base: number;
  lbA: number;
  lbB: number;
  /** auth[i] is the port of auth-(i+1). */
  auth: number[];
  /** postgres[i] is the port of pg-(i+1); patroni[i] its Patroni REST API. */
  postgres: number[];
  patroni: number[];
  haproxy: { readWrite: number; readOnly: number; stats: number };
  /** redis[i] is the port of redis-(i+1). */
  redis: number[];
  /** sentinels[i] is the port of sentinel-(i+1). */
  sentinels: number[];
  /** push[i] is the port of push-(i+1), a push gateway replica. */
  push: number[];
  etcd: { client: number; peer: number };
  /** The development SMTP sink the replicas mail codes to, and its web page. */
  mail: { smtp: number; http: number };
  /** The demo application (examples/whoami) the load balancers protect with forward auth. */
  demo: number;
  /** Prometheus, Alertmanager and the exporters (monitoring.ts); nginxStatus[i] is lb-(a,b)'s stub_status. */
  monitoring: {
    prometheus: number;
    alertmanager: number;
    nodeExporter: number;
    redisExporter: number;
    postgresExporter: number;
    nginxExporters: number[];
    nginxStatus: number[];
  };
}

export function derivePorts(base: number, authReplicas = DEFAULT_AUTH_REPLICAS): PortMap {
  if (!Number.isInteger(base) || base < 1024 || base + HIGHEST_OFFSET > 65535) {
    throw new RangeError(`port base must be an integer from 1024 to ${65535 - HIGHEST_OFFSET}, got ${base}`);
  }
  if (!Number.isInteger(authReplicas) || authReplicas < 1 || authReplicas > MAX_AUTH_REPLICAS) {
    throw new RangeError(`auth replicas must be from 1 to ${MAX_AUTH_REPLICAS}, got ${authReplicas}`);
  }
  return {
    base,
    lbA: base,
    lbB: base + 1,
    auth: Array.from({ length: authReplicas }, (_, i) => base + 10 + i + 1),
    postgres: [base + 20, base + 21],
    patroni: [base + 22, base + 23],
    haproxy: { readWrite: base + 25, readOnly: base + 26, stats: base + 27 },
    redis: [base + 30, base + 31],
    sentinels: [base + 32, base + 33, base + 34],
    push: [base + 35, base + 36],
    etcd: { client: base + 40, peer: base + 41 },
    mail: { smtp: base + 45, http: base + 46 },
    demo: base + 47,
    monitoring: {
      prometheus: base + 50,
      alertmanager: base + 51,
      nodeExporter: base + 52,
      redisExporter: base + 53,
      postgresExporter: base + 54,
      nginxExporters: [base + 55, base + 56],
      nginxStatus: [base + 57, base + 58],
    },
  };
}

/** Every port of the map, each once (what must be free before a cluster can start there). */
export function allPorts(ports: PortMap): number[] {
  return [
    ports.lbA,
    ports.lbB,
    ...ports.auth,
    ...ports.postgres,
    ...ports.patroni,
    ports.haproxy.readWrite,
    ports.haproxy.readOnly,
    ports.haproxy.stats,
    ...ports.redis,
    ...ports.sentinels,
    ...ports.push,
    ports.etcd.client,
    ports.etcd.peer,
    ports.mail.smtp,
    ports.mail.http,
    ports.demo,
    ...monitoringPorts(ports),
  ];
}

export function monitoringPorts({ monitoring }: PortMap): number[] {
  return [
    monitoring.prometheus,
    monitoring.alertmanager,
    monitoring.nodeExporter,
    monitoring.redisExporter,
    monitoring.postgresExporter,
    ...monitoring.nginxExporters,
    ...monitoring.nginxStatus,
  ];
}

/** The `--port-base` flag wins over TWOFOLD_PORT_BASE, which wins over the default. */
export function resolvePortBase(flag?: string, env: NodeJS.ProcessEnv = process.env): number {
  const raw = flag ?? env.TWOFOLD_PORT_BASE;
  if (raw === undefined || raw === '') return DEFAULT_PORT_BASE;
  if (!/^\d+$/.test(raw.trim())) throw new RangeError(`port base must be a number, got "${raw}"`);
  return Number(raw.trim());
}

/** A port that was free a moment ago (the kernel picks it); fine for tests on loopback. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('could not read the bound port'))));
    });
  });
}

/** True when something accepts connections on host:port (checked before starting a member). */
export function isPortInUse(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (inUse: boolean) => {
      socket.destroy();
      resolve(inUse);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
