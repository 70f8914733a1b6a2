import cookie from '@fastify/cookie';
import session from '@fastify/session';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter } from 'prom-client';
import type { AuthConfig } from '../../config.ts';
import { registerActiveSessionsGauge } from '../../lib/active-sessions-gauge.ts';
import { sessionCookieDomain } from '../../lib/host-names.ts';
import { RedisSessionStore, SessionRecordSigner } from '../../lib/session-store.ts';
import { SESSION_COOKIE } from '../../lib/sessions.ts';

declare module 'fastify' {
  interface FastifyInstance {
    sessionStore: RedisSessionStore;
  }
}

/**
 * The session store, its metrics and the cookie parser, for every route. @fastify/session itself is
 * `sessionCookies` below, registered only where routes use `request.session` (app.ts).
 */
export default fp(
  async function sessions(app: FastifyInstance, { config }: { config: AuthConfig }) {
    const replicaReads = new Counter({
      name: 'twofold_session_replica_reads_total',
      help: 'Session reads asked of a Redis replica (the master was slow), by how they ended',
      labelNames: ['result'] as const,
      registers: [app.metrics.registry],
    });
    const store = new RedisSessionStore(app.redis, new SessionRecordSigner(config.sessionSecret), {
      idleSeconds: config.session.idleSeconds,
      absoluteSeconds: config.session.absoluteSeconds,
      prefix: `${config.redisKeyPrefix}sess:`,
      waitReplicas: config.redisWaitReplicas,
      // Under the command timeout, so that WAIT itself never trips it.
      waitTimeoutMs: Math.max(50, Math.floor(config.timeouts.redisCommandMs / 2)),
      onUnreplicated: (acknowledged) =>
        app.log.warn(
          { acknowledged, wanted: config.redisWaitReplicas },
          'session write not acknowledged by a Redis replica',
        ),
      ...(app.redisReplica ? { replica: app.redisReplica } : {}),
      onReplicaRead: (result) => replicaReads.inc({ result }),
    });
    app.decorate('sessionStore', store);
    registerActiveSessionsGauge(app.metrics.registry, () => store.countSignedIn());
    // The secret signs the trusted-device cookie; the session cookie's signature is checked with
    // it too where @fastify/session is not loaded (lib/sessions.ts, readSessionUser).
    await app.register(cookie, { secret: config.sessionSecret });
  },
  { name: 'sessions', dependencies: ['redis', 'metrics'] },
);

/**
 * @fastify/session over the store, for the routes registered in the same context (app.ts). Its
 * hooks build a Session object for every request and hash it twice to see whether it changed: work
 * a route that only reads the session, the forward-auth check, does without (BENCHMARKS.md).
 */
export const sessionCookies = fp(
  async function sessionCookies(app: FastifyInstance, { config }: { config: AuthConfig }) {
    await app.register(session, {
      cookieName: SESSION_COOKIE,
      secret: config.sessionSecret,
      // Anonymous visitors get no session; one is created only when a password check succeeds.
      saveUninitialized: false,
      // Idle and absolute timeouts are enforced by the store's TTLs, not by re-sending the cookie.
      rolling: false,
      cookie: {
        httpOnly: true,
        sameSite: 'lax',
        secure: config.session.cookieSecure,
        path: '/',
      },
      store: app.sessionStore,
    });
    const { cookieDomain } = config.applications;
    if (cookieDomain) {
      // After the session plugin's own hook, which has just loaded the session: per request, since
      // the same replica answers on the cookie domain and, say, on 127.0.0.1.
      app.addHook('onRequest', async (request) => {
        request.session?.options({ domain: sessionCookieDomain(request.host, cookieDomain) });
      });
    }
  },
  { name: 'session-cookies', dependencies: ['sessions'] },
);
