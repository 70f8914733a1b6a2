import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { redirectNotAllowed } from '../../errors.ts';
import { parseRedirectTarget } from '../../lib/redirect-target.ts';

const Query = Type.Object(
  { rd: Type.String({ minLength: 1, maxLength: 2_048 }) },
  { additionalProperties: false },
);
const OIDC_INTERACTION = /^\/oidc\/interaction\/[A-Za-z0-9_-]{1,64}$/;
const RedirectResponse = Type.Object({ location: Type.String() });

/**
 * Where the login pages send a signed-in browser back to: `rd` (the URL /auth/verify's 401 carried)
 * when it is an http(s) URL on a registered application's host, or an OpenID sign-in in progress; anything else is refused, so the
 * pages never follow a link to another site. Authenticated only: the pages ask once both factors are
 * proven, and nobody else learns which hosts are registered.
 */
export const sessionRedirect: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/v1/session/redirect',
    { schema: { querystring: Query, response: { 200: RedirectResponse } } },
    async (request) => {
      // Back to an OpenID sign-in in progress on this same site (the provider's interaction).
      if (OIDC_INTERACTION.test(request.query.rd)) return { location: request.query.rd };
      const target = parseRedirectTarget(request.query.rd);
      const application = target ? await app.applicationDirectory.applicationFor(target.host) : undefined;
      if (!target || !application) throw redirectNotAllowed();
      return { location: target.url };
    },
  );
};
