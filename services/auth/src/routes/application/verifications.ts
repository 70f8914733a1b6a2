import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { MAX_APP_USERNAME } from '../../lib/app-usernames.ts';
import { callerApplication } from '../../lib/application-caller.ts';
import { oneTimeCodeKey } from '../../lib/one-time-codes.ts';
import { checkTotpCode } from '../../lib/totp-check.ts';
import { checkVerificationCode } from '../../lib/verification-codes.ts';
import { type Recorder, Verifications } from '../../lib/verifications.ts';
import { ApplicationLinksRepository } from '../../repositories/application-links.ts';
import { CodeBody, Uuid } from '../../schemas.ts';

const StartBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: MAX_APP_USERNAME }),
    method: Type.Union([Type.Literal('push'), Type.Literal('code')]),
  },
  { additionalProperties: false },
);
const State = Type.Union([
  Type.Literal('pending'),
  Type.Literal('approved'),
  Type.Literal('denied'),
  Type.Literal('expired'),
]);
const Started = Type.Object({
  id: Type.String(),
  state: Type.Literal('pending'),
  number: Type.Optional(Type.Integer()),
  expiresAt: Type.String(),
});
const StateResponse = Type.Object({ id: Type.String(), state: State });
const Params = Type.Object({ id: Uuid }, { additionalProperties: false });
/** Seconds to wait for a decision (a query string is text: no number type to coerce to). */
const WaitQuery = Type.Object(
  { wait: Type.Optional(Type.String({ pattern: '^([0-9]|[1-5][0-9]|60)$' })) },
  { additionalProperties: false },
);

/** A waiting poll is woken by the decision (pub/sub); failing that, it looks again after this. */
const FALLBACK_POLL_MS = 1_000;

/** The verification API: an application's server asks Twofold to confirm one of its users. */
export const verifications: FastifyPluginAsyncTypebox = async (app) => {
  const { push, sessionSecret } = app.config;
  const codeKey = oneTimeCodeKey(sessionSecret);
  const regulator = app.regulator;
  const challenges = app.pushChallenges;
  const service = new Verifications({
    links: new ApplicationLinksRepository(app.db),
    groups: app.groups,
    devices: app.devices,
    totp: app.totp,
    challenges,
    phones: app.phoneChannel,
    regulator,
    codeKey,
    push,
  });
  const recorder =
    (request: FastifyRequest): Recorder =>
    (record) =>
      app.recordStep(request, record);

  app.post(
    '/api/v1/rp/verifications',
    { schema: { body: StartBody, response: { 201: Started } } },
    async (request, reply) => {
      const { username, method } = request.body;
      const started = await service.start(callerApplication(request), username, method, recorder(request));
      return reply.code(201).send({
        id: started.id,
        state: 'pending' as const,
        ...(started.number === undefined ? {} : { number: started.number }),
        expiresAt: new Date(started.expiresAt).toISOString(),
      });
    },
  );

  app.get(
    '/api/v1/rp/verifications/:id',
    { schema: { params: Params, querystring: WaitQuery, response: { 200: StateResponse } } },
    async (request, reply) => {
      const application = callerApplication(request);
      const { id } = request.params;
      // Within push.waitSeconds, so that no proxy's read timeout (nginx: 60 s) cuts the poll first.
      const deadline = Date.now() + Math.min(Number(request.query.wait ?? 0), push.waitSeconds) * 1000;
      const gone = () => request.raw.socket.destroyed || reply.raw.destroyed;
      for (;;) {
        // Listening before looking: a decision made in between still wakes this poll.
        const decided = app.challengeWaiters.wait(id, FALLBACK_POLL_MS);
        const state = await service.state(application, id, recorder(request));
        if (state !== 'pending' || gone() || app.draining || Date.now() >= deadline) return { id, state };
        await decided;
      }
    },
  );

  app.post(
    '/api/v1/rp/verifications/:id/code',
    { schema: { params: Params, body: CodeBody, response: { 200: StateResponse } } },
    async (request) => {
      const { id } = request.params;
      const checkTotp = (userId: string, code: string) => checkTotpCode(app, request, userId, code);
      const deps = { challenges, regulator, codeKey, checkTotp };
      const application = callerApplication(request);
      const state = await checkVerificationCode(deps, application, id, request.body.code, recorder(request));
      return { id, state };
    },
  );
};
