import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ApiError } from '../../errors.ts';
import { hasSecondFactor } from '../../factors/registry.ts';
import { currentUser, requireState } from '../../lib/sessions.ts';
import { totpConfirm } from './totp-confirm.ts';
import { totpEnroll } from './totp-enroll.ts';

/**
 * Tier "enrolling": a user with no second factor yet, whose password is proven (or who is fully
 * authenticated because 2FA is not required). The check is against the database, not the session:
 * an old "enrollment required" session must not replace a factor confirmed since. Replacing an
 * authenticator goes through the account page, which removes it after password + code.
 */
export const enrollingRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', requireState('enrollment_required', 'authenticated'));
  app.addHook('onRequest', async (request) => {
    const facts = await app.factorFacts.of(currentUser(request).userId);
    if (hasSecondFactor(facts)) {
      throw new ApiError(
        403,
        'factor_exists',
        'An authenticator app is already set up. Remove it from your account page to set up another.',
      );
    }
  });
  await app.register(totpEnroll);
  await app.register(totpConfirm);
};
