import type { FastifyInstance } from 'fastify';

// Asked of this replica directly, by the supervisor, Kubernetes' probes and Prometheus: always answered.
const DIRECT_PATH = /^\/(healthz|readyz|metrics)(\?|$)/;
const SAFE_METHODS = new Set(['GET', 'HEAD']);

/**
 * How a replica leaves the load balancers at SIGTERM (server.ts sets `app.draining`, waits
 * TWOFOLD_DRAIN_DELAY_MS, then closes the listener).
 *
 * nginx has no active health checks, so it keeps opening connections to a draining replica until it
 * sees that replica fail. A connection still in the listen queue when the listener closes is reset:
 * nginx has already sent the request on it, and a POST is never sent twice (a login must not run
 * twice), so the client would get a 502. Two things keep nginx away before that moment:
 * - safe requests (GET, HEAD) are refused by closing their connection unanswered. To nginx that is
 *   a failed attempt: it sends the request to another replica (safe to send twice) and counts it
 *   against this one, which after max_fails is left out, so no POST is sent here any more;
 * - every answer closes its connection, so nginx's keepalive pool lets go of this replica. At send
 *   time, not when the request came: a slow login begun before SIGTERM closes its connection too.
 */
export function addDrainHooks(app: FastifyInstance): void {
  // On the root instance, so that setting it at SIGTERM is seen by every route.
  app.decorate('draining', false);
  app.addHook('onRequest', async (request, reply) => {
    if (!app.draining || !SAFE_METHODS.has(request.method) || DIRECT_PATH.test(request.url)) return;
    reply.hijack();
    request.raw.socket.destroy();
  });
  app.addHook('onSend', async (_request, reply) => {
    if (app.draining) reply.header('connection', 'close');
  });
}
