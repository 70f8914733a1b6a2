// The `up` process's control API: HTTP over a unix socket in <dataDir>/run (mode 600), so
// `twofold status|kill|restart|down` from another terminal act on the processes `up` owns.
import { chmod, rm } from 'node:fs/promises';
import http from 'node:http';
import type { Cluster } from './cluster.ts';
import { UnknownMemberError } from './member-names.ts';
import { controlSocket } from './paths.ts';

export interface ControlServer {
  socketPath: string;
  close(): Promise<void>;
}

type Handler = (body: Record<string, unknown>, query: URLSearchParams) => Promise<unknown>;

/** Unix socket paths are limited to 107 bytes. */
export function socketPathFits(socketPath: string): boolean {
  return Buffer.byteLength(socketPath) <= 107;
}

const memberOf = (body: Record<string, unknown>) => {
  if (typeof body.member !== 'string' || !body.member) throw new BadRequest('"member" is required');
  return body.member;
};

class BadRequest extends Error {}

export async function startControlServer(
  cluster: Cluster,
  { onDown }: { onDown: () => void },
): Promise<ControlServer> {
  const socketPath = controlSocket(cluster.dataDir);
  if (!socketPathFits(socketPath)) {
    throw new Error(
      `the control socket path ${socketPath} is too long for a unix socket; use a shorter --data-dir`,
    );
  }
  const routes: Record<string, Handler> = {
    'GET /status': () => cluster.status(),
    'GET /resolve': async (_, query) => ({ member: await cluster.resolve(query.get('member') ?? '') }),
    'POST /kill': async (body) => {
      const member = await cluster.resolve(memberOf(body));
      await cluster.kill(member, { graceful: body.graceful === true });
      return { member, signal: body.graceful === true ? 'SIGTERM' : 'SIGKILL' };
    },
    'POST /restart': async (body) => {
      const member = await cluster.resolve(memberOf(body));
      await cluster.restart(member);
      return { member };
    },
    'POST /down': async () => {
      setImmediate(onDown);
      return { stopping: true };
    },
  };
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://twofold');
    const handler = routes[`${request.method} ${url.pathname}`];
    const reply = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      if (!handler) return reply(404, { error: { message: `no route ${request.method} ${url.pathname}` } });
      try {
        const text = Buffer.concat(chunks).toString('utf8');
        reply(200, await handler(text ? JSON.parse(text) : {}, url.searchParams));
      } catch (error) {
        const status = error instanceof UnknownMemberError || error instanceof BadRequest ? 400 : 500;
        reply(status, { error: { message: (error as Error).message } });
      }
    });
  });
  await rm(socketPath, { force: true }); // left by an `up` that was killed
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, resolve);
  });
  await chmod(socketPath, 0o600);
  return {
    socketPath,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await rm(socketPath, { force: true });
    },
  };
}
