import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { pairDevice } from './pair-device.ts';
import { pushAnswers } from './push-answers.ts';

/**
 * Tier "device": calls from the phone app, with no session. Each request carries its own proof: a
 * pairing token (single use, short-lived) or a signature by a paired device's key.
 */
export const deviceRoutes: FastifyPluginAsyncTypebox = async (app) => {
  await app.register(pairDevice);
  await app.register(pushAnswers);
};
