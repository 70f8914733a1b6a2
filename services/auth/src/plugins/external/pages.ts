import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import helmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

const PUBLIC_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'public');
const PAGES = ['register', 'login', 'setup-2fa', 'verify-2fa', 'dashboard', 'account'] as const;

/** Security headers everywhere, a strict CSP for the pages (no inline script or style at all). */
export default fp(
  async function pages(app: FastifyInstance) {
    await app.register(helmet, {
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          connectSrc: ["'self'"],
          objectSrc: ["'none'"],
          baseUri: ["'none'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
        },
      },
      // Same-origin app; the default HSTS would be wrong on plain-HTTP loopback clusters.
      strictTransportSecurity: false,
    });
    await app.register(fastifyStatic, {
      root: PUBLIC_DIR,
      prefix: '/static/',
      index: false,
      cacheControl: true,
    });
    for (const page of PAGES) {
      app.get(`/${page}`, (_request, reply) =>
        reply.header('cache-control', 'no-store').sendFile(`${page}.html`),
      );
    }
    app.get('/', (_request, reply) => reply.redirect('/dashboard'));
  },
  { name: 'pages' },
);
