import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ApiError } from '../../errors.ts';

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Refuses state-changing requests that a browser marks as coming from another site. SameSite=Lax
 * still sends the cookie from a sibling subdomain ("same-site"), and a body-less POST needs no JSON
 * content type, so the JSON-only parser alone does not stop such a request. Clients that are not
 * browsers send neither header and are unaffected.
 */
export default fp(
  async function sameOrigin(app: FastifyInstance) {
    app.addHook('onRequest', async (request) => {
      if (!UNSAFE.has(request.method) || request.routeOptions.url === PROVIDER_ROUTE) return;
      const site = request.headers['sec-fetch-site'];
      if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') throw crossSite();
      const origin = request.headers.origin;
      if (typeof origin === 'string' && origin !== 'null') {
        if (!isSameOrigin(origin, request.protocol, request.headers.host)) throw crossSite();
      } else if (origin === 'null') {
        throw crossSite();
      }
    });
  },
  { name: 'same-origin' },
);

/**
 * The whole origin, scheme included (the request's scheme: X-Forwarded-Proto from the load
 * balancer): http://host may not act on https://host. Compared as URLs, so that
 * "http://host:80" and "http://host" are the same origin.
 */
function isSameOrigin(origin: string, protocol: string, hostHeader: string | undefined): boolean {
  try {
    return new URL(origin).origin === new URL(`${protocol}://${hostHeader ?? ''}`).origin;
  } catch {
    return false;
  }
}

/**
 * The OpenID provider's endpoints are called from other sites by design (a single-page client's
 * token request, an application's logout form) and authenticate their callers themselves (client
 * secrets, PKCE, the logout form's anti-forgery token). Its interaction is Twofold's and is checked.
 */
const PROVIDER_ROUTE = '/oidc/*';

const crossSite = () =>
  new ApiError(403, 'cross_site_request', 'Requests from other sites are not accepted.');
