import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { withTimeout } from '../../../../common/src/with-timeout.ts';
import { applicationForbidden, unauthenticated } from '../../errors.ts';
import { allowsUser, DEFAULT_RULE, satisfiesPolicy } from '../../lib/application-access.ts';
import { type ForwardedRequest, loginLocation } from '../../lib/forward-auth.ts';
import { parseHostHeader } from '../../lib/host-names.ts';
import { readSessionUser } from '../../lib/sessions.ts';
import { usernameKey } from '../../lib/usernames.ts';

const PRINTABLE = /^[\x20-\x7e]*$/;
/**
 * How long a refusal waits for its audit row: milliseconds as a rule, but while PostgreSQL fails
 * over, the write's retries would hold the answer (and nginx) for 15 s. A row not written in time
 * is still written, or logged as lost, when the retries end.
 */
const AUDIT_WAIT_MS = 1_000;

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** What the browser asked the application for, as nginx forwards it; undefined for a malformed Host. */
function forwardedRequest(request: FastifyRequest): ForwardedRequest | undefined {
  // request.host is X-Forwarded-Host only from a trusted load balancer (one hop), else Host.
  const target = parseHostHeader(request.host);
  if (!target) return undefined;
  return {
    // From a trusted load balancer X-Forwarded-Proto could say anything: only these two make a link.
    proto: request.protocol === 'https' ? 'https' : 'http',
    ...target,
    originalUrl: header(request, 'x-original-url'),
    uri: header(request, 'x-forwarded-uri') ?? header(request, 'x-original-uri') ?? request.url,
  };
}

/**
 * For nginx `auth_request`: 200 with Remote-* headers when the session satisfies the application's
 * policy and the application admits the user; 401 with the login page as Location when it does not
 * (nginx turns it into a redirect); 403 when signed in but not admitted. A host that is no registered
 * application gets the default rule: both factors, any user. A hot path: no audit of a 200, and the
 * lookups are cached (lib/application-directory.ts).
 */
export const authVerify: FastifyPluginAsyncTypebox = async (app) => {
  // A page asks for every asset and a script may retry forever, and this path is never rate
  // limited: one audit row per user, host and minute tells the story without growing the table.
  const firstRefusalThisMinute = async (userId: string, host: string) =>
    (await app.redis
      .set(`${app.config.redisKeyPrefix}forward-refused:${userId}:${host}`, '1', 'EX', 60, 'NX')
      .catch(() => 'OK')) === 'OK';
  // The hot path: nginx logs every call already, and nginx alone reads the answer, so helmet's
  // headers for pages are left out. For the public GET, the two that matter to JSON stay: nosniff,
  // and no cross-origin embedding (a sibling subdomain's page could load it with the cookie).
  app.get(
    '/auth/verify',
    { logLevel: 'warn', helmet: false, config: { rateLimit: false } },
    async (request, reply) => {
      reply
        .header('cache-control', 'no-store')
        .header('x-content-type-options', 'nosniff')
        .header('cross-origin-resource-policy', 'same-origin');
      const forwarded = forwardedRequest(request);
      const signIn = () =>
        unauthenticated(forwarded ? { location: loginLocation(app.config.applications, forwarded) } : {});
      const user = await readSessionUser(request, app.sessionStore);
      if (!user) throw signIn();
      // A host no rule can be looked up for must not fall back to the default rule: the attacker picks
      // the header (`Host: app.example:99999`), so a refusal, whoever the user is.
      if (!forwarded) throw applicationForbidden();
      const [application, identity] = await Promise.all([
        app.applicationDirectory.applicationFor(forwarded.host),
        app.applicationDirectory.identityOf(user.userId),
      ]);
      const rule = application ?? DEFAULT_RULE;
      if (!identity || !satisfiesPolicy(rule.policy, user.state)) throw signIn();
      if (!allowsUser(rule, { usernameKey: usernameKey(user.username), groups: identity.groups })) {
        if (await firstRefusalThisMinute(user.userId, forwarded.host)) {
          const recorded = app.recordStep(request, {
            step: 'application-access',
            result: 'rejected',
            ...user,
            detail: { application: application?.name, host: forwarded.host },
          });
          await withTimeout('postgres', AUDIT_WAIT_MS, recorded).catch(() => {});
        }
        throw applicationForbidden();
      }
      reply
        .header('remote-user', user.username)
        // A header carries no more than Latin-1: an address with other characters is left out.
        .header('remote-email', identity.email && PRINTABLE.test(identity.email) ? identity.email : '')
        // Accounts have no display name: the username stands in for it.
        .header('remote-name', user.username)
        .header('remote-groups', identity.groups.join(','));
      return { user: { id: user.userId, username: user.username } };
    },
  );
};
