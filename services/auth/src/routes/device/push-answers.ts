import { createPublicKey } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ANSWER_LABEL, verifyFields } from '../../../../common/src/device-crypto.ts';
import { ApiError } from '../../errors.ts';
import { pushFactor } from '../../factors/push.ts';
import { Uuid } from '../../schemas.ts';

const AnswerBody = Type.Object(
  {
    deviceId: Uuid,
    challengeId: Uuid,
    decision: Type.Union([Type.Literal('approve'), Type.Literal('deny')]),
    number: Type.Integer({ minimum: 0, maximum: 99 }),
    signature: Type.String({ minLength: 1, maxLength: 200 }),
  },
  { additionalProperties: false },
);
const AnswerResponse = Type.Object({
  outcome: Type.Union([Type.Literal('approved'), Type.Literal('denied'), Type.Literal('wrong_number')]),
});

const invalidSignature = () =>
  new ApiError(401, 'invalid_signature', 'This answer is not signed by a phone paired with that account.');
const challengeExpired = () => new ApiError(410, 'challenge_expired', 'This sign-in request has expired.');
const challengeClosed = () =>
  new ApiError(409, 'challenge_closed', 'This sign-in request was already answered.');

/** A phone's answer to a login prompt: signed by the device key, taken once per prompt. */
export const pushAnswers: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/api/v1/push/answers',
    { schema: { body: AnswerBody, response: { 200: AnswerResponse } } },
    async (request, reply) => {
      const { deviceId, challengeId, decision, number, signature } = request.body;
      const device = await app.devices.findById(deviceId);
      const key = device && createPublicKey({ key: device.signingKey, format: 'der', type: 'spki' });
      const fields = [ANSWER_LABEL, challengeId, deviceId, decision, String(number)];
      if (!device || !key || !verifyFields(key, fields, signature)) throw invalidSignature();
      const { outcome, application } = await app.pushChallenges.answer(
        challengeId,
        device.userId,
        decision,
        number,
      );
      // An application's verification shows in the user's activity under the application's name.
      const step = application ? 'rp-push' : 'push-answer';
      const detail = { deviceId, challengeId, outcome, ...(application ? { application } : {}) };
      const user = { userId: device.userId, detail };
      if (outcome === 'not_yours') throw invalidSignature();
      if (outcome === 'closed') {
        await app.recordStep(request, { step, result: 'rejected', ...user });
        throw challengeClosed();
      }
      if (outcome === 'expired' || outcome === 'gone') throw challengeExpired();
      await app.recordStep(request, {
        step,
        result: outcome === 'approved' ? 'success' : 'failure',
        ...user,
      });
      if (outcome !== 'approved') {
        // A refused prompt is the user saying "not me" (or tapping at random under a flood of them):
        // no more prompts for this account for a while. Codes (authenticator, phone) still work.
        await app.regulator.exhaust(pushFactor.budget, device.userId);
      }
      reply.header('cache-control', 'no-store');
      return { outcome };
    },
  );
};
