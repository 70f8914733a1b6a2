import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { OIDC_MOUNT } from '../../config-oidc.ts';
import { invalidRequest, oidcUnavailable, tooManyAttempts } from '../../errors.ts';
import { attachTwofold, signInOf } from '../../oidc/sign-in.ts';
import { oidcInteraction } from './interaction.ts';

/** Longer requests are refused before the provider stores their parameters in an interaction. */
const MAX_URL = 4_096;
const AUTHORIZATION = /^\/oidc\/auth(\?|$)/;

/**
 * The OpenID Connect provider under /oidc: the protocol endpoints are oidc-provider's (handed the
 * raw request), the interaction (/oidc/interaction/…) is Twofold's own login pages and consent.
 */
export async function oidcRoutes(app: FastifyInstance) {
  // The provider reads and limits the bodies itself (form-encoded and JSON): Fastify leaves them alone.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));

  const issuerHost = app.config.oidc ? new URL(app.config.oidc.issuer).host : undefined;
  // The hosts browsers reach the provider on (the issuer's, and the other load balancers'): the
  // provider builds absolute URLs from Host, so any other is replaced by the issuer's.
  const knownHosts = new Set(
    [issuerHost, ...(app.config.webauthn?.origins ?? []).map((origin) => new URL(origin).host)].filter(
      Boolean,
    ),
  );

  const mount = async (request: FastifyRequest, reply: FastifyReply) => {
    const oidc = app.oidc;
    if (!oidc) throw oidcUnavailable();
    const raw = request.raw as typeof request.raw & { originalUrl?: string };
    if ((raw.url ?? '').length > MAX_URL) throw invalidRequest('The request is too long.');
    if (AUTHORIZATION.test(raw.url ?? '')) {
      const verdict = await app.regulator.consume('oidc-authorize-ip', request.ip);
      if (!verdict.allowed) throw tooManyAttempts(verdict.retryAfterSeconds);
    }
    delete raw.headers['x-forwarded-host'];
    if (!knownHosts.has(raw.headers.host ?? '')) raw.headers.host = issuerHost;
    reply.hijack();
    attachTwofold(raw, {
      signIn: signInOf(request.session),
      endSession: async () => {
        if (!request.session?.userId) return;
        await request.session.destroy();
        await app.sessionStore.replicateEnd();
      },
      ip: request.ip,
      userAgent: request.headers['user-agent'],
      requestId: request.id,
    });
    // Outside Fastify's onSend: what the other routes get there, set here.
    if (app.draining) reply.raw.setHeader('connection', 'close');
    raw.originalUrl = raw.url;
    raw.url = (raw.url ?? '/').slice(OIDC_MOUNT.length) || '/';
    await oidc.handle(raw, reply.raw);
  };
  app.route({ method: ['GET', 'HEAD', 'POST', 'OPTIONS'], url: `${OIDC_MOUNT}/*`, handler: mount });
  await app.register(oidcInteraction);
}
