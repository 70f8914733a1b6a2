import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireState } from '../../lib/sessions.ts';
import { totpConfirm } from './totp-confirm.ts';
import { totpEnroll } from './totp-enroll.ts';

/**
 * Tier "enrolling": a password-verified user with no second factor yet, or a fully authenticated
 * one adding or replacing an authenticator. A user who *has* a factor but has only proven the
 * password may not enrol: that would let a stolen password replace the second factor.
 */
export const enrollingRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', requireState('enrollment_required', 'authenticated'));
  await app.register(totpEnroll);
  await app.register(totpConfirm);
};
