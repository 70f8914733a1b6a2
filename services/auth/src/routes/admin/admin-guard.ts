import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError, unauthenticated } from '../../errors.ts';
import { currentUser } from '../../lib/sessions.ts';

export const ADMIN_GROUP = 'admin';

const adminRequired = () =>
  new ApiError(403, 'admin_required', 'Only administrators may see the operations dashboard.');
const secondFactorRequired = () =>
  new ApiError(
    403,
    'second_factor_required',
    'Sign in again with your second factor to see the operations dashboard.',
  );

declare module 'fastify' {
  interface FastifyContextConfig {
    /** false: a refusal on this route is not written to the audit log (a mere "may I?" probe). */
    auditRefusal?: boolean;
  }
}

/**
 * Whether THIS session proved a second factor at login. Not whether the account has one now, nor
 * whether 2FA is required now: a session signed in with the password alone (2FA optional, or before
 * 2FA became required) stays password-only when a factor is enrolled later, from there or elsewhere.
 */
function hasProvenSecondFactor(request: FastifyRequest): boolean {
  const at = request.session.secondFactorAt;
  return typeof at === 'number' && Number.isFinite(at) && at > 0;
}

/**
 * After requireState('authenticated'): the user must be in the admin group (read through the same
 * few-seconds cache as forward auth, so a removal takes effect as fast there as here) and this
 * session must have proven a second factor at login: "authenticated" may mean the password alone
 * (2FA optional), and confirming a new authenticator takes nothing but the password.
 */
export function requireAdmin(app: FastifyInstance) {
  // The page polls every few seconds: one audit row per user and minute tells the story.
  const firstRefusalThisMinute = async (userId: string) =>
    (await app.redis
      .set(`${app.config.redisKeyPrefix}ops-refused:${userId}`, '1', 'EX', 60, 'NX')
      .catch(() => 'OK')) === 'OK';

  return async function adminGuard(request: FastifyRequest): Promise<void> {
    const user = currentUser(request);
    const identity = await app.applicationDirectory.identityOf(user.userId);
    if (!identity) throw unauthenticated();
    const isAdmin = identity.groups.includes(ADMIN_GROUP);
    if (isAdmin && hasProvenSecondFactor(request)) return;
    if (request.routeOptions.config.auditRefusal !== false && (await firstRefusalThisMinute(user.userId))) {
      await app.recordStep(request, {
        step: 'application-access',
        result: 'rejected',
        userId: user.userId,
        username: user.username,
        detail: { application: 'ops-dashboard', path: request.url.split('?')[0]?.slice(0, 200) },
      });
    }
    throw isAdmin ? secondFactorRequired() : adminRequired();
  };
}
