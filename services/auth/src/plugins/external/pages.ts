import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import helmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

const PUBLIC_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'public');
// The phone app (an installable PWA) and the one file of the QR decoder it loads, straight from npm.
const PHONE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'phone', 'public');
const JSQR_FILE = createRequire(import.meta.url).resolve('jsqr');
// Always asked for again: a new service worker or app shell must reach phones on their next visit.
const PHONE_REVALIDATE = new Set(['sw.js', 'index.html', 'manifest.webmanifest']);
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
          // 'self' also allows the same-origin ws:/wss: of the phone's push channel (CSP level 3).
          connectSrc: ["'self'"],
          workerSrc: ["'self'"],
          manifestSrc: ["'self'"],
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
    await app.register(fastifyStatic, {
      root: PHONE_DIR,
      prefix: '/phone/',
      decorateReply: false,
      index: ['index.html'],
      cacheControl: true,
      // sw.js at /phone/sw.js gets the scope /phone/ without a Service-Worker-Allowed header.
      setHeaders: (reply, path) => {
        const name = basename(path);
        if (PHONE_REVALIDATE.has(name)) reply.header('cache-control', 'no-cache');
        if (name.endsWith('.webmanifest')) reply.header('content-type', 'application/manifest+json');
      },
    });
    app.get('/phone', (_request, reply) => reply.redirect('/phone/'));
    app.get('/phone/vendor/jsQR.js', (_request, reply) =>
      reply.sendFile(basename(JSQR_FILE), dirname(JSQR_FILE)),
    );
    for (const page of PAGES) {
      // cacheControl off for this file: the plugin's own header would replace no-store.
      app.get(`/${page}`, (_request, reply) =>
        reply.header('cache-control', 'no-store').sendFile(`${page}.html`, { cacheControl: false }),
      );
    }
    app.get('/', (_request, reply) => reply.redirect('/dashboard'));
  },
  { name: 'pages' },
);
