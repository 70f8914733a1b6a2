import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errors, type InteractionResults } from 'oidc-provider';
import { interactionExpired, interactionNotYours, oidcUnavailable } from '../../errors.ts';
import { hasSecondFactor } from '../../factors/registry.ts';
import { errorHtml, PAGE_HEADERS } from '../../oidc/pages.ts';
import { clientPolicy } from '../../oidc/provider.ts';
import { loginResult, meetsPolicy, signInOf, type TwofoldSignIn } from '../../oidc/sign-in.ts';

type Interaction = Awaited<
  ReturnType<NonNullable<FastifyInstance['oidc']>['provider']['interactionDetails']>
>;

const UID = '^[A-Za-z0-9_-]{1,64}$';
const Params = {
  type: 'object',
  properties: { uid: { type: 'string', pattern: UID } },
  required: ['uid'],
  additionalProperties: false,
} as const;

const REAUTH = 'twofoldReauthSince';
const loginPage = (uid: string, reason?: string) =>
  `/login?${reason ? `reason=${reason}&` : ''}rd=${encodeURIComponent(`/oidc/interaction/${uid}`)}`;

/** When this interaction asked for a new sign-in (ms), if it did. */
function reauthSince(interaction: Interaction): number | undefined {
  const since = (interaction.result as Record<string, unknown> | undefined)?.[REAUTH];
  return typeof since === 'number' ? since : undefined;
}

/**
 * prompt=login, or max_age past the Twofold sign-in's last factor: a sign-in made after the
 * interaction asked for it. (Never by ending the session here: a link to /oidc/auth?prompt=login
 * on any site would then sign users out.)
 */
function needsNewSignIn(interaction: Interaction, signIn: TwofoldSignIn | undefined): boolean {
  const since = reauthSince(interaction);
  if (since !== undefined) return !signIn || signIn.provenAt < since;
  const reasons = interaction.prompt.reasons;
  if (reasons.includes('login_prompt')) return true;
  if (!reasons.includes('max_age') || !signIn) return false;
  const maxAge = Number(interaction.params.max_age);
  return !(Number.isFinite(maxAge) && signIn.authTime + maxAge >= Math.floor(Date.now() / 1000));
}

/**
 * The provider's interaction, /oidc/interaction/:uid: a login prompt is answered by the Twofold
 * session (or the browser is sent to the login pages and comes back here), a consent prompt by the
 * consent page. The provider's interaction cookie (path-scoped to this URL) ties the two.
 */
export async function oidcInteraction(app: FastifyInstance) {
  const providerOf = () => {
    if (!app.oidc) throw oidcUnavailable();
    return app.oidc.provider;
  };

  async function details(request: FastifyRequest, reply: FastifyReply): Promise<Interaction> {
    try {
      const interaction = await providerOf().interactionDetails(request.raw, reply.raw);
      if (interaction.uid !== (request.params as { uid: string }).uid) throw interactionExpired();
      return interaction;
    } catch (error) {
      if (error instanceof errors.SessionNotFound) throw interactionExpired();
      throw error;
    }
  }

  /** Where the provider continues once the interaction has its result. */
  const finish = (request: FastifyRequest, reply: FastifyReply, result: InteractionResults) =>
    providerOf().interactionResult(request.raw, reply.raw, result, { mergeWithLastSubmission: false });

  app.get('/oidc/interaction/:uid', { schema: { params: Params } }, async (request, reply) => {
    let interaction: Interaction;
    try {
      interaction = await details(request, reply);
    } catch (error) {
      if ((error as { code?: string }).code !== 'interaction_expired') throw error;
      return reply
        .code(400)
        .headers(PAGE_HEADERS)
        .send(errorHtml('interaction_expired', (error as Error).message));
    }
    if (interaction.prompt.name === 'consent') {
      return reply.header('cache-control', 'no-store').sendFile('consent.html', { cacheControl: false });
    }
    const signIn = signInOf(request.session);
    const client = await providerOf().Client.find(String(interaction.params.client_id));
    const policy = clientPolicy(client);
    if (needsNewSignIn(interaction, signIn)) {
      if (reauthSince(interaction) === undefined) await finish(request, reply, { [REAUTH]: Date.now() });
      return reply.redirect(loginPage(interaction.uid, 'reauth'), 303);
    }
    if (signIn && meetsPolicy(signIn, policy)) {
      return reply.redirect(await finish(request, reply, { login: loginResult(signIn) }), 303);
    }
    if (signIn && policy === 'two_factor' && signIn.state === 'authenticated' && !signIn.secondFactor) {
      // Signed in with the password alone: an account with no second factor cannot go on; one that
      // has a factor (enrolled in this session) signs in again, with it.
      const facts = await app.factorFacts.of(signIn.userId);
      if (!hasSecondFactor(facts)) {
        const error = {
          error: 'access_denied',
          error_description: 'This application requires a second factor.',
        };
        return reply.redirect(await finish(request, reply, error), 303);
      }
    }
    // Not signed in enough for this client: the login pages, and back here. A session signed in
    // without the second factor it has (e.g. just enrolled) is shown the form again, to sign in with it.
    return reply.redirect(
      loginPage(interaction.uid, signIn?.state === 'authenticated' ? 'reauth' : undefined),
      303,
    );
  });

  /** Consent is given by the user the provider's session is for, in this browser's Twofold session. */
  async function consentInteraction(request: FastifyRequest, reply: FastifyReply) {
    const interaction = await details(request, reply);
    const signIn = signInOf(request.session);
    if (interaction.prompt.name !== 'consent' || !signIn || signIn.userId !== interaction.session?.accountId)
      throw interactionNotYours();
    return { interaction, signIn };
  }

  app.get('/oidc/interaction/:uid/details', { schema: { params: Params } }, async (request, reply) => {
    const { interaction, signIn } = await consentInteraction(request, reply);
    const client = await providerOf().Client.find(String(interaction.params.client_id));
    const scopes = String(interaction.params.scope ?? 'openid').split(' ');
    // The library drops offline_access from requests without prompt=consent, but such a client gets
    // refresh tokens anyway (provider.ts issueRefreshToken): the user is told.
    if (client?.grantTypeAllowed('refresh_token') && !scopes.includes('offline_access'))
      scopes.push('offline_access');
    reply.header('cache-control', 'no-store');
    return {
      client: { id: client?.clientId, name: client?.clientName ?? client?.clientId },
      username: signIn.username,
      scopes,
    };
  });

  app.post('/oidc/interaction/:uid/confirm', { schema: { params: Params } }, async (request, reply) => {
    const { interaction } = await consentInteraction(request, reply);
    const provider = providerOf();
    const { accountId } = interaction.session as { accountId: string };
    const clientId = String(interaction.params.client_id);
    const missing = interaction.prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    const existing = interaction.grantId ? await provider.Grant.find(interaction.grantId) : undefined;
    const grant =
      existing && existing.accountId === accountId && existing.clientId === clientId
        ? existing
        : new provider.Grant({ accountId, clientId });
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {}))
      grant.addResourceScope(indicator, scopes.join(' '));
    const grantId = await grant.save();
    reply.header('cache-control', 'no-store');
    return { location: await finish(request, reply, { consent: { grantId } }) };
  });

  app.post('/oidc/interaction/:uid/abort', { schema: { params: Params } }, async (request, reply) => {
    await consentInteraction(request, reply);
    const result = { error: 'access_denied', error_description: 'The user declined the request.' };
    reply.header('cache-control', 'no-store');
    return { location: await finish(request, reply, result) };
  });
}
