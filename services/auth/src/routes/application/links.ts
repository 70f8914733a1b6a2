import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { invalidRequest } from '../../errors.ts';
import { MAX_APP_USERNAME, normalizeAppUsername } from '../../lib/app-usernames.ts';
import { callerApplication } from '../../lib/application-caller.ts';
import { LinkCodes, linkCodeKey } from '../../lib/link-codes.ts';
import { userNotLinked } from '../../lib/verifications.ts';
import { ApplicationLinksRepository } from '../../repositories/application-links.ts';

const LinkCodeBody = Type.Object(
  { username: Type.String({ minLength: 1, maxLength: MAX_APP_USERNAME }) },
  { additionalProperties: false },
);
const LinkCodeResponse = Type.Object({ code: Type.String(), expiresAt: Type.String() });
const UsernameParams = Type.Object(
  { username: Type.String({ minLength: 1, maxLength: MAX_APP_USERNAME }) },
  { additionalProperties: false },
);

const badUsername = () =>
  invalidRequest(
    `The username must have 1 to ${MAX_APP_USERNAME} characters, none of them control characters.`,
  );

/**
 * An application's side of the links: it vouches for its own usernames. It asks for a link code for
 * the user it has signed in, and shows the code to that user only, who enters it on Twofold's
 * account page; and it may end the link of one of its usernames (its user left it, say).
 */
export const links: FastifyPluginAsyncTypebox = async (app) => {
  const { config } = app;
  const linkCodes = new LinkCodes(app.redis, config.redisKeyPrefix, linkCodeKey(config.sessionSecret));
  const repository = new ApplicationLinksRepository(app.db);

  app.post(
    '/api/v1/rp/link-codes',
    { schema: { body: LinkCodeBody, response: { 201: LinkCodeResponse } } },
    async (request, reply) => {
      const application = callerApplication(request);
      const appUsername = normalizeAppUsername(request.body.username);
      if (appUsername === undefined) throw badUsername();
      const { code, expiresAt } = await linkCodes.create(
        { applicationId: application.id, application: application.name, appUsername },
        config.push.linkCodeSeconds,
      );
      request.log.info({ application: application.name }, 'link code issued');
      return reply.code(201).send({ code, expiresAt: new Date(expiresAt).toISOString() });
    },
  );

  app.delete('/api/v1/rp/links/:username', { schema: { params: UsernameParams } }, async (request, reply) => {
    const application = callerApplication(request);
    const appUsername = normalizeAppUsername(request.params.username);
    if (appUsername === undefined) throw badUsername();
    const user = await repository.unlinkAppUsername(application.id, appUsername);
    if (!user) throw userNotLinked();
    await app.recordStep(request, {
      step: 'application-unlinked',
      result: 'success',
      ...user,
      detail: { application: application.name, by: 'application' },
    });
    return reply.code(204).send();
  });
};
