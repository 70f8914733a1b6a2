import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { redirectNotAllowed } from '../../errors.ts';
import { parseRedirectTarget } from '../../lib/redirect-target.ts';

const Query = Type.Object(
  { rd: Type.String({ minLength: 1, maxLength: 2_048 }) },
  { additionalProperties: false },
);
const RedirectResponse = Type.Object({ location: Type.String() });

/**
 * Where the login pages send a signed-in browser back to: `rd` (the URL /auth/verify's 401 carried)
 * when it is an http(s) URL on a registered application's host; anything else is refused, so the
 * pages never follow a link to another site. Authenticated only: the pages ask once both factors are
 * proven, and nobody else learns which hosts are registered.
 */
export const sessionRedirect: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/v1/session/redirect',
    { schema: { querystring: Query, response: { 200: RedirectResponse } } },
    async (request) => {
      const target = parseRedirectTarget(request.query.rd);
      const application = target ? await app.applicationDirectory.applicationFor(target.host) : undefined;
      if (!target || !application) throw redirectNotAllowed();
      return { location: target.url };
    },
  );
};
