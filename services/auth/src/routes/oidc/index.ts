import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { OIDC_MOUNT } from '../../config-oidc.ts';
import { oidcUnavailable } from '../../errors.ts';
import { attachTwofold, signInOf } from '../../oidc/sign-in.ts';
import { oidcInteraction } from './interaction.ts';

/**
 * The OpenID Connect provider under /oidc: the protocol endpoints are oidc-provider's (handed the
 * raw request), the interaction (/oidc/interaction/…) is Twofold's own login pages and consent.
 */
export async function oidcRoutes(app: FastifyInstance) {
  // The provider reads and limits the bodies itself (form-encoded and JSON): Fastify leaves them alone.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));

  const mount = async (request: FastifyRequest, reply: FastifyReply) => {
    const oidc = app.oidc;
    if (!oidc) throw oidcUnavailable();
    reply.hijack();
    const raw = request.raw as typeof request.raw & { originalUrl?: string };
    attachTwofold(raw, {
      signIn: signInOf(request.session),
      endSession: async () => {
        if (request.session?.userId) await request.session.destroy();
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
