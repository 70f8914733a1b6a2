// The OpenID Connect example as a Fastify app: "Sign in with Twofold" through the authorization code
// flow with PKCE (openid-client), the ID token's claims and UserInfo on the home page, refresh and
// sign-out. Tokens stay on this server, in memory; the browser holds only random ids in cookies.
import fastifyCookie from '@fastify/cookie';
import Fastify, { type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import * as client from 'openid-client';
import { isLoopbackHost, type TokenAuthMethod } from './config.ts';
import { discover, type FlowError, flowError, reason } from './oidc.ts';
import { errorPage, homePage, STYLE, signedOutPage } from './pages.ts';
import { MemoryStore, type PendingLogin, type Session } from './store.ts';

export interface OidcAppOptions {
  /** Twofold's issuer identifier, e.g. http://localhost:9080/oidc. */
  issuer: string | URL;
  clientId: string;
  /** Absent: a public client (token_endpoint_auth_method none). */
  clientSecret?: string;
  /** With a secret: client_secret_basic (default) or client_secret_post. */
  tokenAuthMethod?: TokenAuthMethod;
  /** Registered at Twofold; its path is the callback route. Default: the request's origin + /callback. */
  redirectUri?: string;
  /** Registered at Twofold; where the provider sends the browser after sign-out. Default: the request's origin + /. */
  postLogoutRedirectUri?: string;
  /** Default "openid profile email offline_access". */
  scope?: string;
  /**
   * The prompt parameter; none by default. Twofold issues refresh tokens to a client allowed
   * offline_access without it; a stock oidc-provider drops offline_access unless prompt has consent.
   */
  prompt?: string;
  /** Accept a plain-http issuer (openid-client's allowInsecureRequests). Default: when its host is loopback. */
  allowHttp?: boolean;
  /** Shown on every page. Default oidc-app. */
  appName?: string;
  logger?: FastifyServerOptions['logger'];
  /** Discovery at start: attempts (5), seconds per attempt (5), milliseconds before a retry (1000, doubling). */
  discovery?: { attempts?: number; timeoutSeconds?: number; retryDelayMs?: number };
  /** Seconds a token, userinfo or revocation request may take. Default 10. */
  requestTimeoutSeconds?: number;
  /** Seconds a signed-in session lasts here. Default 8 hours. */
  sessionSeconds?: number;
}

export const LOGIN_COOKIE = 'oidc_app_login';
export const SESSION_COOKIE = 'oidc_app_session';
/** From GET /login to the callback. */
export const LOGIN_SECONDS = 10 * 60;
const DEFAULT_SESSION_SECONDS = 8 * 60 * 60;

/** A failure of this application's own (not openid-client's), shown like one. */
class AppError extends Error {
  constructor(
    readonly code: string,
    readonly status: 400 | 403 | 404,
    message: string,
  ) {
    super(message);
  }
}

const TEXTS: Record<'sign-in' | 'refresh', string> = {
  'sign-in': 'Twofold did not sign you in.',
  refresh: 'The tokens could not be refreshed.',
};

export async function buildOidcApp(options: OidcAppOptions) {
  const issuer = new URL(options.issuer);
  const appName = options.appName ?? 'oidc-app';
  const scope = options.scope ?? 'openid profile email offline_access';
  const prompt = options.prompt;
  const callbackPath = options.redirectUri ? new URL(options.redirectUri).pathname : '/callback';
  const sessionSeconds = options.sessionSeconds ?? DEFAULT_SESSION_SECONDS;

  const app = Fastify({ logger: options.logger ?? false, bodyLimit: 16 * 1024 });

  const configuration = await discover({
    issuer,
    clientId: options.clientId,
    ...(options.clientSecret ? { clientSecret: options.clientSecret } : {}),
    ...(options.tokenAuthMethod ? { tokenAuthMethod: options.tokenAuthMethod } : {}),
    allowHttp: options.allowHttp ?? isLoopbackHost(issuer.hostname),
    ...options.discovery,
    ...(options.requestTimeoutSeconds ? { requestTimeoutSeconds: options.requestTimeoutSeconds } : {}),
    onRetry: (attempt, error) =>
      app.log.warn(
        { attempt, error: reason(error) },
        `${issuer.href} does not answer discovery yet; trying again`,
      ),
  });
  const metadata = configuration.serverMetadata();
  app.log.info({ issuer: metadata.issuer }, 'OpenID Connect provider discovered');

  const logins = new MemoryStore<PendingLogin>(10_000);
  const sessions = new MemoryStore<Session>(10_000);
  const sweeper = setInterval(() => {
    logins.sweep();
    sessions.sweep();
  }, 60_000);
  sweeper.unref();
  app.addHook('onClose', async () => clearInterval(sweeper));

  await app.register(fastifyCookie);
  // The forms carry no fields; a parser still has to accept their content type.
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 1024 },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );

  // A form may only post to this server, and the sign-out's redirect to the provider's end-session
  // endpoint counts as the form's target: Chromium holds redirects of a form to form-action too.
  const endSession = metadata.end_session_endpoint ? new URL(metadata.end_session_endpoint).origin : '';
  const securityHeaders = {
    'content-security-policy':
      "default-src 'none'; style-src 'self'; img-src 'self'; " +
      `form-action 'self'${endSession ? ` ${endSession}` : ''}; frame-ancestors 'none'; base-uri 'none'`,
    'x-content-type-options': 'nosniff',
    // Not no-referrer: under it a browser sends `Origin: null` with a form's POST, which the Origin check refuses.
    'referrer-policy': 'same-origin',
    'x-frame-options': 'DENY',
  };

  /** This server as the browser addressed it. */
  const ownOrigin = (request: FastifyRequest) => `${request.protocol}://${request.host}`;
  const redirectUriFor = (request: FastifyRequest) => options.redirectUri ?? `${ownOrigin(request)}/callback`;
  const postLogoutUriFor = (request: FastifyRequest) =>
    options.postLogoutRedirectUri ?? `${ownOrigin(request)}/`;
  // The sign-in starts on the redirect URI's origin, so that the pending sign-in's cookie comes back
  // to the callback (a browser on 127.0.0.1 would lose it on a callback to localhost).
  const loginHref = options.redirectUri ? new URL('/login', options.redirectUri).href : '/login';
  const trustedOrigins = new Set(
    [options.redirectUri, options.postLogoutRedirectUri].flatMap((uri) => (uri ? [new URL(uri).origin] : [])),
  );

  // CSRF: both cookies are SameSite=Lax (the callback arrives on a top-level navigation from the
  // provider, which Strict would strip), so a POST must also come from this origin: browsers send
  // Origin (and Sec-Fetch-Site) with every form POST; one without Origin is refused.
  app.addHook('onRequest', async (request, reply) => {
    if (request.method !== 'POST') return;
    const site = request.headers['sec-fetch-site'];
    const origin = request.headers.origin;
    const ok =
      (typeof site !== 'string' || site === 'same-origin') &&
      typeof origin === 'string' &&
      (origin === ownOrigin(request) || trustedOrigins.has(origin));
    if (!ok) {
      request.log.info({ origin, site }, 'cross-site request refused');
      return fail(
        reply,
        new AppError('cross_site_request', 403, 'Request refused: it did not come from this site.'),
      );
    }
  });

  app.addHook('onSend', async (_request, reply, payload) => {
    reply.headers(securityHeaders);
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });

  const page = (reply: FastifyReply, body: string, status = 200) =>
    reply.code(status).type('text/html; charset=utf-8').send(body);
  const goTo = (reply: FastifyReply, location: string) => reply.redirect(location, 303);
  const fail = (reply: FastifyReply, error: AppError | FlowError, text?: string) => {
    const message = error instanceof AppError ? error.message : (text ?? 'Something went wrong.');
    const detail = error instanceof AppError ? undefined : error.detail;
    return page(reply, errorPage(appName, error.code, message, detail), error.status);
  };
  /** An error of the flow on its page (400, or 502 when the provider did not answer); a bug goes on to the 500 handler. */
  const flowFailure = (
    request: FastifyRequest,
    reply: FastifyReply,
    error: unknown,
    step: keyof typeof TEXTS,
  ) => {
    if (error instanceof AppError) return fail(reply, error);
    const known = flowError(error);
    if (!known) throw error;
    const cause = (error as { cause?: unknown }).cause;
    request.log.warn(
      {
        step,
        code: known.code,
        detail: known.detail,
        error: (error as Error).message,
        ...(cause instanceof Error ? { cause: cause.message } : {}),
      },
      `${step} failed`,
    );
    const text =
      known.code === 'provider_unavailable'
        ? 'Twofold did not answer in time. Try again in a moment.'
        : known.code === 'access_denied'
          ? 'The sign-in was refused or cancelled at Twofold.'
          : TEXTS[step];
    return fail(reply, known, text);
  };

  const cookieOptions = (path: string, maxAge: number) =>
    ({ path, httpOnly: true, sameSite: 'lax', secure: 'auto', maxAge }) as const;
  const sessionOf = (request: FastifyRequest) => sessions.get(request.cookies[SESSION_COOKIE]);
  const endSessionHere = (request: FastifyRequest, reply: FastifyReply) => {
    const session = sessions.take(request.cookies[SESSION_COOKIE]);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return session;
  };

  /** UserInfo for these tokens, for the subject the ID token names (openid-client compares them). */
  const userinfoFor = (accessToken: string, subject: string) =>
    client.fetchUserInfo(configuration, accessToken, subject);

  const tokenFields = (tokens: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers) => {
    const expiresIn = tokens.expiresIn();
    return {
      accessToken: tokens.access_token,
      ...(expiresIn === undefined ? {} : { accessTokenExpiresAt: Date.now() + expiresIn * 1000 }),
      ...(tokens.scope ? { scope: tokens.scope } : {}),
    };
  };

  app.get('/static/style.css', async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(STYLE),
  );
  app.get('/healthz', async () => ({ ok: true }));
  app.get('/favicon.ico', async (_request, reply) => reply.code(204).send());

  app.get('/', async (request, reply) => {
    const session = sessionOf(request);
    if (!session) return page(reply, signedOutPage(appName, loginHref));
    return page(
      reply,
      homePage(appName, {
        claims: session.claims,
        userinfo: session.userinfo,
        ...(session.scope ? { scope: session.scope } : {}),
        ...(session.accessTokenExpiresAt ? { accessTokenExpiresAt: session.accessTokenExpiresAt } : {}),
        hasRefreshToken: session.refreshToken !== undefined,
        signedInAt: session.signedInAt,
        refreshCount: session.refreshCount,
        ...(session.refreshedAt ? { refreshedAt: session.refreshedAt } : {}),
      }),
    );
  });

  // Authorization code flow: PKCE (S256) always, plus state and nonce, all kept here until the callback.
  app.get('/login', async (request, reply) => {
    const codeVerifier = client.randomPKCECodeVerifier();
    const pending: PendingLogin = {
      codeVerifier,
      state: client.randomState(),
      nonce: client.randomNonce(),
      redirectUri: redirectUriFor(request),
      expiresAt: Date.now() + LOGIN_SECONDS * 1000,
    };
    const parameters: Record<string, string> = {
      redirect_uri: pending.redirectUri,
      scope,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state: pending.state,
      nonce: pending.nonce,
      ...(prompt ? { prompt } : {}),
    };
    const target = client.buildAuthorizationUrl(configuration, parameters);
    logins.delete(request.cookies[LOGIN_COOKIE]);
    reply.setCookie(LOGIN_COOKIE, logins.add(pending), cookieOptions(callbackPath, LOGIN_SECONDS));
    return goTo(reply, target.href);
  });

  app.get(callbackPath, async (request, reply) => {
    // The pending sign-in serves once, whatever happens next.
    const pending = logins.take(request.cookies[LOGIN_COOKIE]);
    reply.clearCookie(LOGIN_COOKIE, { path: callbackPath });
    try {
      if (!pending) {
        throw new AppError(
          'login_expired',
          400,
          'This sign-in was not started here, or took longer than 10 minutes. Sign in again.',
        );
      }
      // The URL the provider redirected to, as registered (not as this request's Host says), with its answer.
      const currentUrl = new URL(pending.redirectUri);
      currentUrl.search = new URL(request.url, 'http://localhost').search;
      // Checks the state and issuer of the answer (or throws the provider's error), sends the code with
      // the PKCE verifier, and validates the ID token: signature (JWKS), iss, aud, nonce, exp, iat.
      const tokens = await client.authorizationCodeGrant(configuration, currentUrl, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims();
      if (!claims || !tokens.id_token)
        throw new AppError('id_token_missing', 400, 'Twofold sent no ID token.');
      const userinfo = await userinfoFor(tokens.access_token, claims.sub);
      const now = Date.now();
      endSessionHere(request, reply);
      const id = sessions.add({
        expiresAt: now + sessionSeconds * 1000,
        idToken: tokens.id_token,
        claims,
        userinfo,
        ...tokenFields(tokens),
        ...(tokens.refresh_token ? { refreshToken: tokens.refresh_token } : {}),
        signedInAt: now,
        refreshCount: 0,
      });
      reply.setCookie(SESSION_COOKIE, id, cookieOptions('/', sessionSeconds));
      request.log.info({ sub: claims.sub, amr: claims.amr, acr: claims.acr }, 'signed in');
      return goTo(reply, '/');
    } catch (error) {
      return flowFailure(request, reply, error, 'sign-in');
    }
  });

  /** New tokens for the session; the provider rotates refresh tokens, so the new one replaces the old. */
  const refresh = async (session: Session, refreshToken: string) => {
    const tokens = await client.refreshTokenGrant(configuration, refreshToken);
    const claims = tokens.claims();
    if (claims && claims.sub !== session.claims.sub) {
      throw new AppError('subject_mismatch', 400, 'The refreshed ID token names another user.');
    }
    const userinfo = await userinfoFor(tokens.access_token, session.claims.sub);
    Object.assign(session, tokenFields(tokens), {
      userinfo,
      refreshToken: tokens.refresh_token ?? refreshToken,
      refreshCount: session.refreshCount + 1,
      refreshedAt: Date.now(),
      ...(claims && tokens.id_token ? { claims, idToken: tokens.id_token } : {}),
    });
  };

  app.post('/refresh', async (request, reply) => {
    const session = sessionOf(request);
    if (!session) return goTo(reply, '/');
    // A second click while the first refresh runs waits for it instead of spending the old token again.
    if (session.refreshing) {
      await session.refreshing.catch(() => undefined);
      return goTo(reply, '/');
    }
    if (!session.refreshToken) {
      return fail(
        reply,
        new AppError('no_refresh_token', 400, 'Twofold gave no refresh token to this sign-in.'),
      );
    }
    const running = refresh(session, session.refreshToken);
    session.refreshing = running;
    try {
      await running;
    } catch (error) {
      // The grant is gone (revoked, expired, or a refresh token spent twice): this session is over too.
      if (flowError(error)?.code === 'invalid_grant') endSessionHere(request, reply);
      return flowFailure(request, reply, error, 'refresh');
    } finally {
      session.refreshing = undefined;
    }
    request.log.info({ sub: session.claims.sub, count: session.refreshCount }, 'tokens refreshed');
    return goTo(reply, '/');
  });

  // Forgets the session here, revokes its refresh token, and sends the browser to the provider to end
  // the session there too (RP-initiated logout), which then comes back to the post-logout URI.
  app.post('/logout', async (request, reply) => {
    const session = endSessionHere(request, reply);
    if (!session) return goTo(reply, '/');
    if (session.refreshToken && metadata.revocation_endpoint) {
      await client
        .tokenRevocation(configuration, session.refreshToken, { token_type_hint: 'refresh_token' })
        .catch((error: unknown) =>
          request.log.warn(
            { err: error instanceof Error ? error.message : String(error) },
            'revocation failed',
          ),
        );
    }
    if (!metadata.end_session_endpoint) return goTo(reply, '/');
    const target = client.buildEndSessionUrl(configuration, {
      id_token_hint: session.idToken,
      post_logout_redirect_uri: postLogoutUriFor(request),
    });
    return goTo(reply, target.href);
  });

  app.setNotFoundHandler(async (_request, reply) =>
    fail(reply, new AppError('not_found', 404, 'There is no such page here.')),
  );
  // Never a stack on a page: the error goes to the log, the page says only that something failed.
  app.setErrorHandler(async (error, request, reply) => {
    const status = (error as { statusCode?: number }).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return page(reply, errorPage(appName, 'bad_request', 'The request was not understood.'), status);
    }
    request.log.error({ err: error }, 'request failed');
    return page(reply, errorPage(appName, 'internal_error', 'Something went wrong on this server.'), 500);
  });

  return app;
}
