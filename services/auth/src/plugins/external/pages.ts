import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import helmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { SERVICE_DIR } from '../../service-dir.ts';

const PUBLIC_DIR = join(SERVICE_DIR, 'public');
// The phone app (an installable PWA) and the one file of the QR decoder it loads, straight from npm.
const PHONE_DIR = join(SERVICE_DIR, '..', 'phone', 'public');
const require = createRequire(import.meta.url);
const JSQR_FILE = require.resolve('jsqr');
// zxcvbn-ts's browser builds for the password strength meter (each sets a part of window.zxcvbnts).
const ZXCVBN_FILES = ['core', 'language-common', 'language-en'].map((name) => ({
  url: `/static/vendor/zxcvbn-ts/${name}.js`,
  dir: dirname(require.resolve(`@zxcvbn-ts/${name}`)),
}));
// 1.7 MB the browser should rarely fetch again; the URL holds no version, so after a
// day the copy is revalidated (ETag), in the background for a week.
const VENDOR_CACHE = 'public, max-age=86400, stale-while-revalidate=604800';
// Always asked for again: a new service worker or app shell must reach phones on their next visit.
const PHONE_REVALIDATE = new Set(['sw.js', 'index.html', 'manifest.webmanifest']);
const PAGES = ['register', 'login', 'setup-2fa', 'verify-2fa', 'dashboard', 'account', 'ops'] as const;
// The ops dashboard's charts: uPlot's browser build and its stylesheet, straight from npm.
const UPLOT_DIR = dirname(require.resolve('uplot'));
const UPLOT_FILES = ['uPlot.iife.min.js', 'uPlot.min.css'];
// The login page's proof-of-work solver: altcha-lib's own browser modules (ES modules importing each
// other by relative paths, so served under one folder), straight from npm.
const ALTCHA_DIR = dirname(fileURLToPath(import.meta.resolve('altcha-lib')));
// Security keys and passkeys: SimpleWebAuthn's browser bundle (sets window.SimpleWebAuthnBrowser), from npm.
const SIMPLEWEBAUTHN_DIR = join(dirname(require.resolve('@simplewebauthn/browser')), '..', 'dist', 'bundle');
const ALTCHA_BROWSER_FILES = [
  'pow.js',
  'helpers.js',
  'types.js',
  'workers/shared.js',
  'algorithms/web/pbkdf2.js',
];

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
    for (const file of ALTCHA_BROWSER_FILES) {
      app.get(`/static/vendor/altcha/${file}`, (_request, reply) => reply.sendFile(file, ALTCHA_DIR));
    }
    app.get('/phone/vendor/jsQR.js', (_request, reply) =>
      reply.sendFile(basename(JSQR_FILE), dirname(JSQR_FILE)),
    );
    for (const { url, dir } of ZXCVBN_FILES) {
      app.get(url, (_request, reply) =>
        reply.header('cache-control', VENDOR_CACHE).sendFile('zxcvbn-ts.js', dir, { cacheControl: false }),
      );
    }
    for (const file of UPLOT_FILES) {
      app.get(`/static/vendor/uplot/${file}`, (_request, reply) =>
        reply.header('cache-control', VENDOR_CACHE).sendFile(file, UPLOT_DIR, { cacheControl: false }),
      );
    }
    app.get('/static/vendor/simplewebauthn/browser.js', (_request, reply) =>
      reply
        .header('cache-control', VENDOR_CACHE)
        .sendFile('index.umd.min.js', SIMPLEWEBAUTHN_DIR, { cacheControl: false }),
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
