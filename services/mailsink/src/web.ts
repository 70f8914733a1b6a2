import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MailStore } from './mail-store.ts';
import { PAGE_CSS, renderMailPage } from './page.ts';

export interface SinkWebOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  store: MailStore;
}

export interface SinkWeb {
  port: number;
  url: string;
  close(): Promise<void>;
}

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; style-src 'self'; img-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/** The page and JSON API over the caught mails: GET /, GET|DELETE /api/messages, GET /healthz. */
export async function startSinkWeb(options: SinkWebOptions): Promise<SinkWeb> {
  let allowedHosts = new Set<string>();
  const server = http.createServer((request, response) => {
    const send = (status: number, type: string, body: string, headers: Record<string, string> = {}) => {
      response.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, ...headers });
      response.end(body);
    };
    const json = (status: number, body: unknown) =>
      send(status, 'application/json; charset=utf-8', JSON.stringify(body));
    // The mails hold login codes: a page on another site that rebinds its name to 127.0.0.1
    // must not be able to read them, so only our own loopback names are answered.
    if (!allowedHosts.has((request.headers.host ?? '').toLowerCase())) {
      return json(403, { error: { code: 'forbidden_host', message: 'Use http://127.0.0.1 or localhost.' } });
    }
    const url = new URL(request.url ?? '/', 'http://sink.invalid');
    const to = url.searchParams.get('to') ?? undefined;
    const route = `${request.method} ${url.pathname}`;
    switch (route) {
      case 'GET /':
        return send(
          200,
          'text/html; charset=utf-8',
          renderMailPage(options.store.list(to), to, options.store.limit),
        );
      case 'GET /style.css':
        return send(200, 'text/css; charset=utf-8', PAGE_CSS);
      case 'GET /api/messages':
        return json(200, options.store.list(to));
      case 'DELETE /api/messages':
        options.store.clear();
        return send(204, 'text/plain', '');
      case 'GET /healthz':
        return json(200, { status: 'ok' });
    }
    const known = ['/', '/style.css', '/api/messages', '/healthz'].includes(url.pathname);
    if (known) {
      const allow = url.pathname === '/api/messages' ? 'GET, DELETE' : 'GET';
      return json(405, { error: { code: 'method_not_allowed', message: `Allowed: ${allow}.` } });
    }
    return json(404, { error: { code: 'not_found', message: 'No such page.' } });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
  return {
    port,
    url: `http://${options.host}:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
