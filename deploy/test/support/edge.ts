// The edge under test: a real nginx from the rendered template in front of stand-ins (an auth
// replica whose answers the test chooses, and a demo application), and a client that names the Host.
import { mkdtemp, rm } from 'node:fs/promises';
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type RequestListener,
  type Server,
} from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { type NginxServer, startNginx } from '../../src/nginx.ts';
import { freePort } from '../../src/ports.ts';

export const COOKIE_DOMAIN = 'twofold.localhost';

/** A server on a free loopback port. */
export async function listening(handler: RequestListener): Promise<{ server: Server; port: number }> {
  const port = await freePort();
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, port };
}

/**
 * A stand-in replica answering with `handler`, behind a real nginx; removed after the describe.
 * With `demoApp`, a stand-in demo application behind the app1./app2. server blocks too.
 */
export function edgeInFront(
  handler: RequestListener,
  options: { apiRatePerSecond?: number; demoApp?: RequestListener } = {},
) {
  const edge = {} as { dir: string; lb: NginxServer; replica: Server; demo?: Server; port: number };
  before(async () => {
    edge.dir = await mkdtemp(path.join(tmpdir(), 'twofold-edge-'));
    const replica = await listening(handler);
    edge.replica = replica.server;
    const demo = options.demoApp ? await listening(options.demoApp) : undefined;
    edge.demo = demo?.server;
    edge.port = await freePort();
    edge.lb = await startNginx({
      dataDir: edge.dir,
      name: 'a',
      listenPort: edge.port,
      upstreamPorts: [replica.port],
      pushUpstreamPorts: [await freePort()],
      apiRatePerSecond: options.apiRatePerSecond,
      ...(demo ? { demo: { port: demo.port, cookieDomain: COOKIE_DOMAIN } } : {}),
    });
  });
  after(async () => {
    await edge.lb?.stop();
    edge.replica?.close();
    edge.demo?.close();
    await rm(edge.dir, { recursive: true, force: true });
  });
  return edge;
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A request with a Host header of our choosing (fetch sends its own), to 127.0.0.1:port. */
export function send(
  port: number,
  host: string,
  route: string,
  options: { method?: string; headers?: OutgoingHttpHeaders; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path: route,
        method: options.method ?? 'GET',
        headers: { ...options.headers, host },
        timeout: 10_000,
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
        );
      },
    );
    request.once('timeout', () => request.destroy(new Error(`no answer from ${host}${route}`)));
    request.once('error', reject);
    request.end(options.body);
  });
}
