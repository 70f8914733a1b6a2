// An OpenID sign-in driven over HTTP as a browser would (all cookies kept, redirects followed one by
// one), with Twofold's login API for the password and TOTP steps, and openid-client as the relying party.
import * as oidc from 'openid-client';
import { totpCode } from './totp-codes.ts';

/** Every cookie of one site, by name (the flows here never need two cookies of one name). */
export class CookieJar {
  readonly #cookies = new Map<string, string>();

  header(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  store(setCookies: string[]): void {
    for (const line of setCookies) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const gone = /max-age=0|expires=thu, 01 jan 1970/i.test(line) || pair.slice(eq + 1) === '';
      if (gone) this.#cookies.delete(name);
      else this.#cookies.set(name, pair.slice(eq + 1));
    }
  }

  has(name: string): boolean {
    return this.#cookies.has(name);
  }
}

export interface Hop {
  status: number;
  location: string | undefined;
  url: string;
  text: string;
  /** nginx's X-Request-Id (which the replicas log), when a load balancer answered. */
  requestId: string | undefined;
}

export interface OidcBrowserOptions {
  /** Asks again after a 502 or 503 (a dependency failing over), as a person would, for up to this long. */
  retryUnavailableMs?: number;
}

export class OidcBrowser {
  readonly jar = new CookieJar();
  /** The 502 and 503 answers that were asked again. */
  readonly retried: Hop[] = [];

  constructor(
    public baseUrl: string,
    readonly options: OidcBrowserOptions = {},
  ) {}

  /** A form post, as a browser submits one (application/x-www-form-urlencoded). */
  form(target: string, fields: URLSearchParams): Promise<Hop> {
    const url = new URL(target.replaceAll('&amp;', '&'), this.baseUrl).href;
    return this.#send('POST', url, { 'content-type': 'application/x-www-form-urlencoded' }, fields);
  }

  request(method: string, target: string, body?: unknown): Promise<Hop> {
    const url = new URL(target, this.baseUrl).href;
    const headers: Record<string, string> = { accept: 'text/html,application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    return this.#send(method, url, headers, body !== undefined ? JSON.stringify(body) : undefined);
  }

  async #send(
    method: string,
    url: string,
    headers: Record<string, string>,
    body: string | URLSearchParams | undefined,
  ): Promise<Hop> {
    const until = Date.now() + (this.options.retryUnavailableMs ?? 0);
    for (;;) {
      const response = await fetch(url, {
        method,
        redirect: 'manual',
        headers: { cookie: this.jar.header(), ...headers },
        body,
        signal: AbortSignal.timeout(15_000),
      });
      this.jar.store(response.headers.getSetCookie());
      const location = response.headers.get('location') ?? undefined;
      const hop: Hop = {
        status: response.status,
        location: location && new URL(location, url).href,
        url,
        text: await response.text(),
        requestId: response.headers.get('x-request-id') ?? undefined,
      };
      if ((hop.status !== 502 && hop.status !== 503) || Date.now() >= until) return hop;
      this.retried.push(hop);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** The flow got an answer it cannot go on from; `hop` is that answer. */
export class FlowStopped extends Error {
  constructor(
    message: string,
    readonly hop: Hop,
  ) {
    super(message);
  }
}

export interface Account {
  username: string;
  password: string;
  totpSecret: string;
}

export interface PendingLogin {
  url: URL;
  verifier: string;
  state: string;
  nonce: string;
}

export async function authorizationRequest(
  config: oidc.Configuration,
  redirectUri: string,
  extra: Record<string, string> = {},
): Promise<PendingLogin> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid profile email offline_access',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  });
  return { url, verifier, state, nonce };
}

/** What openid-client checks the callback against: the PKCE verifier, state and nonce sent. */
export const checksOf = (pending: PendingLogin) => ({
  pkceCodeVerifier: pending.verifier,
  expectedState: pending.state,
  expectedNonce: pending.nonce,
});

/** A whole sign-in: the authorization request, the login and consent, the code exchanged for tokens. */
export async function codeFlow(
  config: oidc.Configuration,
  browser: OidcBrowser,
  redirectUri: string,
  account: Account,
) {
  const pending = await authorizationRequest(config, redirectUri);
  const { callback, hops } = await driveLogin(browser, pending.url.href, redirectUri, account);
  const tokens = await oidc.authorizationCodeGrant(config, callback, checksOf(pending));
  return { tokens, callback, hops, pending };
}

/**
 * Follows the flow from `start` until the browser is sent to `redirectUri`: signs in through the
 * login API when sent to the login page, allows the consent page when shown. Returns the callback URL.
 * `onHop` sees each step (tests kill members between steps).
 */
export async function driveLogin(
  browser: OidcBrowser,
  start: string,
  redirectUri: string,
  account: Account,
  onHop: (hop: Hop) => Promise<void> = async () => {},
): Promise<{ callback: URL; hops: Hop[] }> {
  const hops: Hop[] = [];
  let next = start;
  for (let i = 0; i < 20; i += 1) {
    if (next.startsWith(redirectUri)) return { callback: new URL(next), hops };
    const hop = await browser.request('GET', next);
    hops.push(hop);
    await onHop(hop);
    if (hop.status === 303 || hop.status === 302) {
      const location = hop.location as string;
      const login = new URL(location);
      if (login.pathname === '/login') {
        await signIn(browser, account);
        next = new URL(login.searchParams.get('rd') as string, browser.baseUrl).href;
      } else next = location;
      continue;
    }
    const autoPost =
      hop.status === 200 ? /<form method="post" action="([^"]+)">([\s\S]*?)<\/form>/.exec(hop.text) : null;
    if (autoPost) {
      // The provider's self-submitting form (e.g. the previous user's provider session ended first).
      const fields = new URLSearchParams();
      for (const m of (autoPost[2] as string).matchAll(/name="([^"]+)" value="([^"]*)"/g))
        fields.append(m[1] as string, m[2] as string);
      const posted = await browser.form(autoPost[1] as string, fields);
      hops.push(posted);
      next = posted.location as string;
      continue;
    }
    if (hop.status === 200 && /\/oidc\/interaction\/[^/]+$/.test(new URL(hop.url).pathname)) {
      const decided = await browser.request('POST', `${new URL(hop.url).pathname}/confirm`);
      if (decided.status !== 200)
        throw new FlowStopped(`consent: HTTP ${decided.status} ${decided.text}`, decided);
      next = new URL(JSON.parse(decided.text).location, browser.baseUrl).href;
      continue;
    }
    throw new FlowStopped(
      `OIDC flow stopped at ${hop.url}: HTTP ${hop.status} ${hop.text.slice(0, 300)}`,
      hop,
    );
  }
  throw new Error('OIDC flow did not reach the redirect URI in 20 steps');
}

/** Password, then the authenticator's code: what the login pages do. */
export async function signIn(browser: OidcBrowser, account: Account): Promise<void> {
  const password = await browser.request('POST', '/api/v1/login', {
    username: account.username,
    password: account.password,
  });
  if (password.status !== 200)
    throw new FlowStopped(`login: HTTP ${password.status} ${password.text}`, password);
  if (JSON.parse(password.text).state === 'authenticated') return;
  const code = await browser.request('POST', '/api/v1/login/totp', {
    code: await totpCode(account.totpSecret),
  });
  if (code.status !== 200) throw new FlowStopped(`login/totp: HTTP ${code.status} ${code.text}`, code);
}

/** Discovery with openid-client, plain HTTP allowed (loopback test clusters). */
export function discover(
  issuer: string,
  clientId: string,
  clientSecret?: string,
): Promise<oidc.Configuration> {
  return oidc.discovery(
    new URL(issuer),
    clientId,
    clientSecret ? { client_secret: clientSecret } : { token_endpoint_auth_method: 'none' },
    clientSecret ? oidc.ClientSecretBasic(clientSecret) : oidc.None(),
    { execute: [oidc.allowInsecureRequests], timeout: 10 },
  );
}
