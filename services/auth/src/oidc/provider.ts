// oidc-provider's configuration for Twofold: storage, accounts, clients, the login pages as the
// interaction, and the audit of every token issued. Protocol logic is the library's, never ours.
import { createHmac } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import Provider, {
  type Adapter,
  type ClientMetadata,
  type Configuration,
  interactionPolicy,
  type KoaContextWithOIDC,
} from 'oidc-provider';
import { isPolicy, type Policy } from '../lib/application-access.ts';
import type { OidcArtifactsRepository } from '../repositories/oidc-artifacts.ts';
import { DurableOidcAdapter } from './durable-adapter.ts';
import { errorPage, logoutPage, signedOutPage } from './pages.ts';
import { type RedisAdapterDeps, RedisOidcAdapter } from './redis-adapter.ts';
import { ACR_MFA, ACR_PASSWORD, loginResult, meetsPolicy, twofoldOf } from './sign-in.ts';
import type { SigningJwk } from './signing-keys.ts';
import { storage } from './unavailable.ts';

export interface Account {
  id: string;
  username: string;
  email: string | null;
}

export interface OidcAuditEvent {
  step: string;
  result: 'success' | 'failure';
  userId: string | null;
  detail: Record<string, unknown>;
}

export interface ProviderDeps {
  issuer: string;
  sessionSecret: string;
  jwks: SigningJwk[];
  redis: RedisAdapterDeps;
  artifacts: OidcArtifactsRepository;
  findClient(clientId: string): Promise<ClientMetadata | undefined>;
  findAccount(id: string): Promise<Account | undefined>;
  /** The provider's own session lasts as long as a Twofold session may. */
  sessionSeconds: number;
  audit(ctx: KoaContextWithOIDC, event: OidcAuditEvent): Promise<void>;
  log: FastifyBaseLogger;
}

export const SCOPES = ['openid', 'profile', 'email', 'offline_access'] as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DURABLE = new Set(['Grant', 'RefreshToken']);
const DAY = 86_400;

/** The client's policy (extra metadata `twofold_policy`); two_factor unless it says otherwise. */
export function clientPolicy(client: { metadata(): ClientMetadata } | undefined): Policy {
  const value = client?.metadata().twofold_policy;
  return typeof value === 'string' && isPolicy(value) ? value : 'two_factor';
}

/** The login prompt also runs when the Twofold session is not the provider's, or too weak for the client. */
function twofoldPolicy() {
  const { Check, base } = interactionPolicy;
  const policy = base();
  policy.get('login')?.checks.add(
    new Check(
      'twofold_session',
      'End-User must sign in to Twofold with the factors the client requires',
      (ctx) => {
        if (ctx.oidc.result?.login) return Check.NO_NEED_TO_PROMPT;
        const signIn = twofoldOf(ctx.req)?.signIn;
        const session = ctx.oidc.session;
        // The same user, and the same sign-in: acr, amr and auth_time come from the provider's
        // session, which must not outlive the Twofold sign-in it was made from.
        const same =
          signIn !== undefined &&
          signIn.userId === session?.accountId &&
          signIn.authTime === session.loginTs &&
          loginResult(signIn).acr === session.acr;
        return same && meetsPolicy(signIn, clientPolicy(ctx.oidc.client))
          ? Check.NO_NEED_TO_PROMPT
          : Check.REQUEST_PROMPT;
      },
    ),
  );
  return policy;
}

export function buildProvider(deps: ProviderDeps): Provider {
  const redisModels = new Map<string, Adapter>();
  const adapter = (model: string): Adapter => {
    if (model === 'Client') return clientAdapter(deps);
    if (DURABLE.has(model)) return new DurableOidcAdapter(model as 'Grant' | 'RefreshToken', deps.artifacts);
    const found = redisModels.get(model) ?? new RedisOidcAdapter(model, deps.redis);
    redisModels.set(model, found);
    return found;
  };
  const configuration: Configuration = {
    adapter,
    jwks: { keys: deps.jwks as unknown as NonNullable<Configuration['jwks']>['keys'] },
    cookies: {
      keys: [createHmac('sha256', deps.sessionSecret).update('twofold oidc cookies v1').digest('base64url')],
      names: {
        session: 'twofold_oidc',
        interaction: 'twofold_oidc_interaction',
        resume: 'twofold_oidc_resume',
      },
    },
    scopes: [...SCOPES],
    // acr, amr and auth_time go with the openid scope: applications see how the user signed in.
    claims: {
      openid: ['sub', 'acr', 'amr', 'auth_time'],
      profile: ['preferred_username'],
      email: ['email', 'email_verified'],
    },
    acrValues: [ACR_MFA, ACR_PASSWORD],
    extraClientMetadata: {
      properties: ['twofold_policy'],
      validator(_ctx, key, value) {
        if (
          key === 'twofold_policy' &&
          value !== undefined &&
          !(typeof value === 'string' && isPolicy(value))
        )
          throw new Error('twofold_policy must be one_factor or two_factor');
      },
    },
    findAccount: async (_ctx, id) => {
      if (!UUID.test(id)) return undefined;
      const account = await storage(() => deps.findAccount(id));
      if (!account) return undefined;
      return {
        accountId: account.id,
        claims: async () => ({
          sub: account.id,
          preferred_username: account.username,
          // Twofold does not verify addresses at registration: an application must not link
          // accounts by this address (email_verified says so).
          ...(account.email ? { email: account.email, email_verified: false } : {}),
        }),
      };
    },
    loadExistingGrant: async (ctx) => {
      const accountId = ctx.oidc.session?.accountId;
      const clientId = ctx.oidc.client?.clientId;
      const grantId =
        ctx.oidc.result?.consent?.grantId ??
        (clientId ? ctx.oidc.session?.grantIdFor(clientId) : undefined) ??
        // Consent is remembered per user and client, not per browser: a grant from any earlier login.
        (accountId && clientId
          ? await storage(() => deps.artifacts.latestGrantId(accountId, clientId))
          : undefined);
      const grant = grantId ? await ctx.oidc.provider.Grant.find(grantId) : undefined;
      // Never another user's grant, whatever pointed at it.
      return grant && grant.accountId === accountId && grant.clientId === clientId ? grant : undefined;
    },
    interactions: {
      policy: twofoldPolicy(),
      url: (_ctx, interaction) => `/oidc/interaction/${interaction.uid}`,
    },
    responseTypes: ['code'],
    // PKCE for every client, confidential ones too (RFC 9700).
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      // Pushed requests would let anyone store 56 kB per request for an interaction's lifetime.
      pushedAuthorizationRequests: { enabled: false },
      // A client sees and revokes its own tokens only.
      introspection: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
      },
      revocation: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
      },
      userinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => logoutPage(ctx, form),
        postLogoutSuccessSource: async (ctx) => signedOutPage(ctx),
      },
    },
    renderError: async (ctx, out) => errorPage(ctx, out),
    // Every refresh makes a new refresh token and spends the old one; a spent one coming back
    // revokes the whole grant (the library's reuse detection).
    rotateRefreshToken: true,
    // A client allowed offline_access gets refresh tokens, without having to send prompt=consent.
    issueRefreshToken: async (_ctx, client) =>
      client.grantTypeAllowed('refresh_token') && (client.scope ?? '').split(' ').includes('offline_access'),
    expiresWithSession: async () => false,
    // A client revoking a token ends every token of that grant but keeps the user's consent; a
    // replayed code or refresh token (the library's reuse detection) also drops the consent.
    revokeGrantPolicy: (ctx) => ctx.oidc.route !== 'revocation',
    clientBasedCORS: (_ctx, origin, client) =>
      client.clientAuthMethod === 'none' &&
      /^https?:\/\//.test(origin) &&
      client.redirectUris?.some((uri) => originOf(uri) === origin) === true,
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      IdToken: 3_600,
      Interaction: 600,
      Session: deps.sessionSeconds,
      Grant: 365 * 24 * 3_600,
      // 30 days from each rotation, but never past 90 days from the sign-in that began the family.
      RefreshToken: (_ctx, token) => {
        const now = Math.floor(Date.now() / 1000);
        const left = (token.iiat ?? now) + 90 * DAY - now;
        return Math.max(1, Math.min(30 * DAY, left));
      },
    },
  };
  const provider = new Provider(deps.issuer, configuration);
  provider.proxy = true;
  // The library answers these 500 server_error itself; the cause goes to our log.
  provider.on('server_error', (ctx: KoaContextWithOIDC, error: Error) =>
    deps.log.error({ err: error, route: ctx.oidc?.route }, 'OIDC provider error'),
  );
  provider.use(auditMiddleware(deps));
  provider.use(singleSignOut);
  return provider;
}

function originOf(uri: string): string | undefined {
  try {
    return new URL(uri).origin;
  } catch {
    return undefined;
  }
}

/** Clients come from PostgreSQL (`twofold clients`), read on use: a removed one is gone at once. */
function clientAdapter(deps: ProviderDeps): Adapter {
  const none = async () => undefined;
  return {
    find: (id) => storage(() => deps.findClient(id)),
    upsert: none,
    findByUid: none,
    findByUserCode: none,
    consume: none,
    destroy: none,
    revokeByGrantId: none,
  };
}

/**
 * Signing out at the application's request (and the user's confirmation) ends the Twofold session
 * too, when it is the same user's: the library also signs out a provider session by itself when
 * another user has signed in to Twofold since, and that user stays signed in.
 */
async function singleSignOut(ctx: KoaContextWithOIDC, next: () => Promise<void>) {
  await next();
  // The provider's session object outlives its destruction here: whose it was.
  const leaving = ctx.oidc?.session?.accountId;
  const confirmed = (ctx.oidc?.body as { logout?: unknown } | undefined)?.logout;
  const twofold = twofoldOf(ctx.req);
  if (ctx.oidc?.route !== 'end_session_confirm' || !confirmed || ctx.status >= 400) return;
  if (leaving && twofold?.signIn?.userId === leaving) await twofold.endSession();
}

const AUDITED: Record<string, string> = {
  authorization: 'oidc-authorize',
  token: 'oidc-token',
  resume: 'oidc-authorize',
  revocation: 'oidc-revoke',
  end_session_confirm: 'oidc-logout',
};

/** Every token issued (and every refused), every code, revocation and logout, in the audit log. */
function auditMiddleware(deps: ProviderDeps) {
  return async (ctx: KoaContextWithOIDC, next: () => Promise<void>) => {
    await next();
    const step = ctx.oidc?.route ? AUDITED[ctx.oidc.route] : undefined;
    // Requests from no known client are counted by nginx and the metrics, not written down one by one.
    if (!step || !ctx.oidc.client) return;
    const entities = ctx.oidc.entities as Record<string, { accountId?: string } | undefined>;
    // The authorization endpoint mostly sends the browser to the interaction: only a code it issues
    // at once (a returning user) is an event.
    if (ctx.oidc.route === 'authorization' && !entities.AuthorizationCode) return;
    const userId =
      entities.Account?.accountId ??
      entities.AuthorizationCode?.accountId ??
      entities.RefreshToken?.accountId ??
      ctx.oidc.session?.accountId ??
      null;
    const body = ctx.body as { error?: string } | undefined;
    const failed = ctx.status >= 400 || (step === 'oidc-authorize' && !entities.AuthorizationCode);
    await deps.audit(ctx, {
      step,
      result: failed ? 'failure' : 'success',
      userId,
      detail: {
        // The user's activity names the application (as for the verification API's steps).
        application: ctx.oidc.client?.clientName ?? null,
        client: ctx.oidc.client?.clientId ?? null,
        ...(step === 'oidc-token' ? { grantType: ctx.oidc.params?.grant_type ?? null } : {}),
        ...(failed && body?.error ? { error: body.error } : {}),
      },
    });
  };
}
