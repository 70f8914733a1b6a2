import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ApiError } from '../../errors.ts';
import { applicationName, linkWithCode } from '../../lib/application-links.ts';
import { LinkCodes, linkCodeKey } from '../../lib/link-codes.ts';
import { currentUser } from '../../lib/sessions.ts';
import { ApplicationLinksRepository, type LinkedApplication } from '../../repositories/application-links.ts';
import { CodeBody } from '../../schemas.ts';

const Link = Type.Object({ name: Type.String(), username: Type.String(), linkedAt: Type.String() });
const LinksResponse = Type.Object({ applications: Type.Array(Link) });
const LinkResponse = Type.Object({ application: Link });
const NameParams = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false },
);

const show = (link: LinkedApplication) => ({
  name: link.application,
  username: link.appUsername,
  linkedAt: link.linkedAt.toISOString(),
});

/**
 * The account page's applications: the user agrees that an application may ask Twofold to confirm
 * them (the verification API) by entering the link code the application gave them, signed in there.
 * The code carries the application and its username for the user: neither is ever typed here, so
 * nobody can claim another person's username at an application.
 */
export const applicationLinks: FastifyPluginAsyncTypebox = async (app) => {
  const { config } = app;
  const links = new ApplicationLinksRepository(app.db);
  const linkCodes = new LinkCodes(app.redis, config.redisKeyPrefix, linkCodeKey(config.sessionSecret));
  const deps = {
    applications: app.applications,
    groups: app.groups,
    links,
    linkCodes,
    regulator: app.regulator,
    maxAttempts: config.push.maxLinkCodeAttempts,
    lockoutSeconds: config.limits.lockoutSeconds,
  };

  app.get(
    '/api/v1/account/applications',
    { schema: { response: { 200: LinksResponse } } },
    async (request) => ({ applications: (await links.listForUser(currentUser(request).userId)).map(show) }),
  );

  app.post(
    '/api/v1/account/applications',
    { schema: { body: CodeBody, response: { 201: LinkResponse } } },
    async (request, reply) => {
      const user = currentUser(request);
      const record = (step: Parameters<typeof app.recordStep>[1]) => app.recordStep(request, step);
      const linked = await linkWithCode(deps, user, request.body.code, record);
      return reply.code(201).send({ application: show(linked) });
    },
  );

  app.delete(
    '/api/v1/account/applications/:name',
    { schema: { params: NameParams } },
    async (request, reply) => {
      const user = currentUser(request);
      const name = applicationName(request.params.name);
      if (!name || !(await links.unlink(name, user.userId))) {
        throw new ApiError(404, 'not_found', 'This application is not linked to your account.');
      }
      await app.recordStep(request, {
        step: 'application-unlinked',
        result: 'success',
        ...user,
        detail: { application: name },
      });
      return reply.code(204).send();
    },
  );
};
