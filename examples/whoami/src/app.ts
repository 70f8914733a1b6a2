// The whoami demo application: every GET answers with who the forward-auth edge says you are.
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { WhoamiConfig } from './config.ts';
import { logoutUrl, renderPage, visitorFrom } from './page.ts';

export interface WhoamiOptions extends Omit<WhoamiConfig, 'port'> {
  logger?: FastifyServerOptions['logger'];
}

/** A page that tells only what this visitor's headers said: no script, no framing, never cached. */
const PAGE_HEADERS = {
  'cache-control': 'no-store',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  vary: 'Accept',
};

export function buildWhoami(options: WhoamiOptions): FastifyInstance {
  const app = Fastify({ logger: options.logger ?? false });

  // For the supervisor: the process answers (it keeps no state and depends on nothing).
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/*', async (request, reply) => {
    const visitor = visitorFrom(request.headers);
    const host = request.headers.host;
    const logout = logoutUrl(options, host);
    reply.headers(PAGE_HEADERS);
    if (/\bapplication\/json\b/i.test(request.headers.accept ?? '')) {
      return {
        app: options.appName,
        host: host ?? null,
        path: request.url,
        ...visitor,
        logoutUrl: logout ?? null,
      };
    }
    reply.type('text/html; charset=utf-8');
    return renderPage({ appName: options.appName, host, visitor, logout });
  });

  return app;
}
