// Every port of the local cluster is derived from one base, so a test can run a whole
// cluster beside a running one just by picking another base.
import net from 'node:net';

export const DEFAULT_PORT_BASE = 8080;
/** auth-N listens on base+10+N and PostgreSQL on base+20, so at most 9 auth replicas fit. */
export const MAX_AUTH_REPLICAS = 9;
const HIGHEST_OFFSET = 30;

export interface PortMap {
  base: number;
  lbA: number;
  lbB: number;
  /** auth[i] is the port of auth-(i+1). */
  auth: number[];
  postgres: number;
  redis: number;
}

export function derivePorts(base: number, authReplicas = 2): PortMap {
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
    postgres: base + 20,
    redis: base + 30,
  };
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
