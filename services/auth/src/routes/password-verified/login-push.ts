import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { ApiError, tooManyAttempts } from '../../errors.ts';
import { completeLogin, signInWithFactor } from '../../factors/login-attempt.ts';
import { pushFactor } from '../../factors/push.ts';
import { pushCodeFactor } from '../../factors/push-code.ts';
import { numberMatch } from '../../lib/number-match.ts';
import { hashOneTimeCode, newOneTimeCode, oneTimeCodeKey } from '../../lib/one-time-codes.ts';
import { currentUser } from '../../lib/sessions.ts';
import { CodeBody, EmptyBody, StateResponse, Uuid } from '../../schemas.ts';

const PromptResponse = Type.Object({
  challengeId: Type.String(),
  number: Type.Integer(),
  expiresAt: Type.String(),
});
const WaitBody = Type.Object({ challengeId: Uuid }, { additionalProperties: false });
const SentResponse = Type.Object({ sent: Type.Literal(true), devices: Type.Integer() });

/** A waiting browser is woken by the decision (pub/sub); failing that, it looks again after this. */
const FALLBACK_POLL_MS = 1_000;

const noDevice = () => new ApiError(400, 'no_device', 'No phone is paired with this account.');
const pushRefused = () => new ApiError(401, 'push_refused', 'The sign-in was not approved on your phone.');
const challengeExpired = () =>
  new ApiError(410, 'challenge_expired', 'The request to your phone has expired.');

/** Second step through the phone app: approve a prompt with number matching, or type a pushed code. */
export const loginPush: FastifyPluginAsyncTypebox = async (app) => {
  const { push } = app.config;

  /** Each prompt or code reaches a person's phone: counted per account, failures or not. */
  async function spendPrompt(request: FastifyRequest, step: 'push' | 'push-code-send') {
    const user = currentUser(request);
    const budget = step === 'push' ? pushFactor.budget : 'push-code-send-prompt';
    const verdict = await app.regulator.consume(budget, user.userId);
    if (!verdict.allowed) {
      await app.recordStep(request, { step, result: 'locked', ...user });
      throw tooManyAttempts(verdict.retryAfterSeconds);
    }
  }

  app.post(
    '/api/v1/login/push',
    { schema: { body: EmptyBody, response: { 200: PromptResponse } } },
    async (request, reply) => {
      const user = currentUser(request);
      const devices = await app.devices.listForUser(user.userId);
      if (devices.length === 0) throw noDevice();
      await spendPrompt(request, 'push');
      const { number, choices } = numberMatch();
      const challenge = await app.pushChallenges.create({
        userId: user.userId,
        sessionId: request.session.sessionId,
        number,
        ttlMs: push.promptSeconds * 1000,
      });
      await app.phoneChannel.send(
        devices,
        {
          type: 'login',
          challengeId: challenge.id,
          username: user.username,
          ip: request.ip,
          userAgent: request.headers['user-agent']?.slice(0, 256) ?? '',
          createdAt: Date.now(),
          expiresAt: challenge.expiresAt,
          choices,
        },
        challenge.expiresAt,
      );
      reply.header('cache-control', 'no-store');
      return { challengeId: challenge.id, number, expiresAt: new Date(challenge.expiresAt).toISOString() };
    },
  );

  app.post(
    '/api/v1/login/push/wait',
    { schema: { body: WaitBody, response: { 200: StateResponse } } },
    async (request, reply) => {
      const user = currentUser(request);
      const { challengeId } = request.body;
      // Within push.waitSeconds, so that no proxy's read timeout (nginx: 60 s) cuts the poll first.
      const deadline = Date.now() + push.waitSeconds * 1000;
      // A browser that went away (a network blip, a load balancer failing over) asks again elsewhere:
      // this poll must stop, or it could take the approval and hand it to nobody.
      const gone = () => request.raw.socket.destroyed || reply.raw.destroyed;
      reply.header('cache-control', 'no-store');
      while (!gone() && !app.draining && Date.now() < deadline) {
        // Listening before looking: a decision made in between still wakes this poll.
        const decided = app.challengeWaiters.wait(challengeId, FALLBACK_POLL_MS);
        const outcome = await app.pushChallenges.take(challengeId, user.userId, request.session.sessionId);
        if (outcome === 'approved') {
          await completeLogin(app, request, reply, user, pushFactor);
          await app.recordStep(request, { step: 'push', result: 'success', ...user });
          return { state: 'authenticated' };
        }
        if (outcome === 'refused') {
          await app.recordStep(request, {
            step: 'push',
            result: 'failure',
            ...user,
            detail: { challengeId },
          });
          throw pushRefused();
        }
        if (outcome === 'expired' || outcome === 'gone') throw challengeExpired();
        await decided;
      }
      return { state: 'pending' };
    },
  );

  app.post(
    '/api/v1/login/push-code/send',
    { schema: { body: EmptyBody, response: { 200: SentResponse } } },
    async (request, reply) => {
      const user = currentUser(request);
      const devices = await app.devices.listForUser(user.userId);
      if (devices.length === 0) throw noDevice();
      await spendPrompt(request, 'push-code-send');
      const code = newOneTimeCode();
      await app.oneTimeCodes.create({
        id: randomUUID(),
        userId: user.userId,
        channel: 'push',
        codeHash: hashOneTimeCode(oneTimeCodeKey(app.config.sessionSecret), user.userId, code),
        ttlSeconds: push.codeSeconds,
      });
      const expiresAt = Date.now() + push.codeSeconds * 1000;
      const sent = await app.phoneChannel.send(
        devices,
        { type: 'code', username: user.username, code, expiresAt },
        expiresAt,
      );
      await app.recordStep(request, { step: 'push-code-send', result: 'success', ...user });
      reply.header('cache-control', 'no-store');
      return { sent: true as const, devices: sent };
    },
  );

  app.post(
    '/api/v1/login/push-code',
    { schema: { body: CodeBody, response: { 200: StateResponse } } },
    (request, reply) => signInWithFactor(app, request, reply, pushCodeFactor, request.body.code),
  );
};
