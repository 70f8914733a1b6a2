// Phase (4)'s target, the bound for a session check: bare Fastify "hello" processes (as many as the
// cluster has auth replicas; tsx's loader costs only at start) behind an nginx rendered from the
// cluster's own template by deploy/src/nginx.ts (startNginx: `nginx -t`, then in the foreground with
// its own prefix), all in a temporary directory and on free loopback ports, stopped at the end.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNginx } from '../deploy/src/nginx.ts';
import { freePort } from '../deploy/src/ports.ts';
import { type ProcessHandle, readyOnHttp, startProcess } from '../deploy/src/process-handle.ts';

const serverFile = path.join(path.dirname(fileURLToPath(import.meta.url)), 'capacity-hello-server.ts');

export interface HelloTarget {
  /** nginx's URL. */
  url: string;
  /** nginx's access log, in the template's format, for the latency as the load balancer saw it. */
  accessLog: string;
  /** nginx's master and the hello processes, for the CPU breakdown. */
  nginxPid: number;
  helloPids: number[];
  stop(): Promise<void>;
}

export async function startHelloTarget(replicas: number): Promise<HelloTarget> {
  const dir = await mkdtemp(path.join(tmpdir(), 'twofold-bench-hello-'));
  const handles: ProcessHandle[] = [];
  const stopAll = async () => {
    for (const handle of handles.reverse()) await handle.stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const ports: number[] = [];
    for (let i = 1; i <= replicas; i += 1) {
      const port = await freePort();
      const handle = await startProcess({
        member: `hello-${i}`,
        command: process.execPath,
        args: ['--import', 'tsx', serverFile],
        env: { ...process.env, PORT: String(port) },
        logFile: path.join(dir, 'logs', `hello-${i}.log`),
        detached: false,
      });
      handles.push(handle);
      await readyOnHttp(handle, `http://127.0.0.1:${port}/readyz`, `hello-${i}`, 60_000);
      ports.push(port);
    }
    const nginx = await startNginx({
      dataDir: dir,
      name: 'bench',
      listenPort: await freePort(),
      upstreamPorts: ports,
      // The template needs a push upstream; nothing here sends it a WebSocket.
      pushUpstreamPorts: [ports[0] as number],
      detached: false,
    });
    handles.push(nginx.handle);
    return {
      url: nginx.url,
      accessLog: path.join(nginx.prefix, 'logs', 'access.log'),
      nginxPid: nginx.handle.pid,
      helloPids: handles.filter((h) => h.member.startsWith('hello-')).map((h) => h.pid),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
