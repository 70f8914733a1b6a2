import { isIP } from 'node:net';
import { ConfigError, secretFrom } from '../shared/config.ts';

export { ConfigError, secretFrom };

export type TokenAuthMethod = 'client_secret_basic' | 'client_secret_post';

export interface OidcAppConfig {
  /** Twofold's issuer identifier, e.g. http://localhost:9080/oidc. */
  issuer: string;
  clientId: string;
  /** Absent: a public client (token_endpoint_auth_method none, PKCE only). */
  clientSecret?: string;
  /** How the secret goes to the token endpoint (default client_secret_basic, oidc-provider's default). */
  tokenAuthMethod: TokenAuthMethod;
  redirectUri: string;
  postLogoutRedirectUri: string;
  port: number;
  listenAddress: string;
  scope: string;
  /** The prompt parameter, when one is sent (none by default). */
  prompt?: string;
  /** Whether a plain-http issuer is accepted (openid-client's allowInsecureRequests). */
  allowHttp: boolean;
  appName: string;
}

export const DEFAULT_PORT = 3005;
export const DEFAULT_SCOPE = 'openid profile email offline_access';

/** localhost, 127.0.0.0/8 and ::1: where plain http never leaves the machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '0:0:0:0:0:0:0:1';
}

export function loadConfig(env: NodeJS.ProcessEnv): OidcAppConfig {
  const issuer = env.OIDC_APP_ISSUER?.trim();
  if (!issuer) {
    throw new ConfigError("OIDC_APP_ISSUER is required: Twofold's issuer, e.g. http://localhost:9080/oidc");
  }
  const issuerUrl = httpUrl(issuer, 'OIDC_APP_ISSUER');
  if (issuerUrl.search || issuerUrl.hash) {
    throw new ConfigError(`OIDC_APP_ISSUER must have no query or fragment, got ${JSON.stringify(issuer)}`);
  }

  const clientId = env.OIDC_APP_CLIENT_ID?.trim();
  if (!clientId) {
    throw new ConfigError('OIDC_APP_CLIENT_ID is required: `twofold clients add oidc-app …` prints it');
  }
  const clientSecret = secretFrom(env, 'OIDC_APP_CLIENT_SECRET');
  const rawMethod = env.OIDC_APP_TOKEN_AUTH_METHOD?.trim() || 'client_secret_basic';
  if (rawMethod !== 'client_secret_basic' && rawMethod !== 'client_secret_post') {
    throw new ConfigError(
      `OIDC_APP_TOKEN_AUTH_METHOD must be client_secret_basic or client_secret_post, got ${JSON.stringify(rawMethod)}`,
    );
  }
  if (env.OIDC_APP_TOKEN_AUTH_METHOD?.trim() && !clientSecret) {
    throw new ConfigError(
      'OIDC_APP_TOKEN_AUTH_METHOD needs OIDC_APP_CLIENT_SECRET (a public client sends none)',
    );
  }

  const rawPort = env.OIDC_APP_PORT?.trim() || String(DEFAULT_PORT);
  const port = Number(rawPort);
  if (!/^\d+$/.test(rawPort) || port < 1 || port > 65535) {
    throw new ConfigError(`OIDC_APP_PORT must be a port number, got ${JSON.stringify(rawPort)}`);
  }
  const listenAddress = env.OIDC_APP_LISTEN_ADDRESS?.trim() || '127.0.0.1';
  if (isIP(listenAddress) === 0 && listenAddress !== 'localhost') {
    throw new ConfigError(
      `OIDC_APP_LISTEN_ADDRESS must be an IP address (or localhost), got ${JSON.stringify(listenAddress)}`,
    );
  }
  // The address browsers use: localhost for a loopback or wildcard listener (the name the README
  // registers), else the address itself.
  const wildcard = listenAddress === '0.0.0.0' || listenAddress === '::';
  const host =
    wildcard || isLoopbackHost(listenAddress)
      ? 'localhost'
      : isIP(listenAddress) === 6
        ? `[${listenAddress}]`
        : listenAddress;
  const origin = `http://${host}:${port}`;

  const redirectUri = env.OIDC_APP_REDIRECT_URI?.trim() || `${origin}/callback`;
  const redirect = httpUrl(redirectUri, 'OIDC_APP_REDIRECT_URI');
  if (redirect.search || redirect.hash) {
    throw new ConfigError(
      `OIDC_APP_REDIRECT_URI must have no query or fragment, got ${JSON.stringify(redirectUri)}`,
    );
  }
  if (redirect.pathname === '/') {
    throw new ConfigError(
      `OIDC_APP_REDIRECT_URI needs a path of its own (like /callback), got ${redirectUri}`,
    );
  }
  const postLogoutRedirectUri = env.OIDC_APP_POST_LOGOUT_REDIRECT_URI?.trim() || `${origin}/`;
  httpUrl(postLogoutRedirectUri, 'OIDC_APP_POST_LOGOUT_REDIRECT_URI');

  const scope = (env.OIDC_APP_SCOPE?.trim() || DEFAULT_SCOPE).split(/\s+/).join(' ');
  if (!scope.split(' ').includes('openid')) {
    throw new ConfigError(`OIDC_APP_SCOPE must include openid, got ${JSON.stringify(scope)}`);
  }

  // Twofold gives refresh tokens to a client allowed offline_access without prompt=consent; a stock
  // oidc-provider (or another provider) may want OIDC_APP_PROMPT=consent for them.
  const rawPrompt = env.OIDC_APP_PROMPT?.trim();
  if (
    rawPrompt &&
    !/^(none|login|consent|select_account)( (login|consent|select_account))*$/.test(rawPrompt)
  ) {
    throw new ConfigError(
      `OIDC_APP_PROMPT must be prompt values (none, login, consent, select_account), got ${JSON.stringify(rawPrompt)}`,
    );
  }

  const loopback = isLoopbackHost(issuerUrl.hostname);
  const allowHttp = booleanFrom(env, 'OIDC_APP_ALLOW_HTTP', loopback);
  if (issuerUrl.protocol === 'http:' && !allowHttp) {
    throw new ConfigError(
      loopback
        ? `OIDC_APP_ISSUER is plain http (${issuer}) and OIDC_APP_ALLOW_HTTP=false: use https`
        : `OIDC_APP_ISSUER is plain http on a host other than this machine (${issuer}): use https, or set OIDC_APP_ALLOW_HTTP=true for a test`,
    );
  }

  return {
    issuer,
    clientId,
    ...(clientSecret ? { clientSecret } : {}),
    tokenAuthMethod: rawMethod,
    redirectUri,
    postLogoutRedirectUri,
    port,
    listenAddress,
    scope,
    ...(rawPrompt ? { prompt: rawPrompt } : {}),
    allowHttp,
    appName: env.OIDC_APP_NAME?.trim() || 'oidc-app',
  };
}

function httpUrl(value: string, name: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${name} must be an http(s) URL, got ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`${name} must be an http(s) URL, got ${JSON.stringify(value)}`);
  }
  return url;
}

function booleanFrom(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (!raw) return fallback;
  if (raw === 'true' || raw === '1' || raw === 'yes') return true;
  if (raw === 'false' || raw === '0' || raw === 'no') return false;
  throw new ConfigError(`${name} must be true or false, got ${JSON.stringify(env[name])}`);
}
