// Discovery of Twofold's OpenID Connect provider with openid-client, and what its errors mean to a page.
import { setTimeout as sleep } from 'node:timers/promises';
import * as client from 'openid-client';

export interface DiscoveryOptions {
  issuer: URL;
  clientId: string;
  clientSecret?: string;
  tokenAuthMethod?: 'client_secret_basic' | 'client_secret_post';
  allowHttp: boolean;
  /** Seconds each discovery attempt may take. Default 5. */
  timeoutSeconds?: number;
  /** Attempts before giving up. Default 5. */
  attempts?: number;
  /** Milliseconds before the second attempt, doubled after each. Default 1000. */
  retryDelayMs?: number;
  /** Seconds each later request to the provider may take (token, userinfo). Default 10. */
  requestTimeoutSeconds?: number;
  onRetry?: (attempt: number, error: unknown) => void;
}

export class DiscoveryError extends Error {
  override name = 'DiscoveryError';
}

/** The provider's metadata and this client's settings, retried while the provider does not answer. */
export async function discover(options: DiscoveryOptions): Promise<client.Configuration> {
  const attempts = Math.max(1, options.attempts ?? 5);
  const timeout = options.timeoutSeconds ?? 5;
  let delay = options.retryDelayMs ?? 1000;
  const metadata: Partial<client.ClientMetadata> = options.clientSecret
    ? {
        client_secret: options.clientSecret,
        token_endpoint_auth_method: options.tokenAuthMethod ?? 'client_secret_basic',
      }
    : { token_endpoint_auth_method: 'none' };
  const auth = !options.clientSecret
    ? client.None()
    : options.tokenAuthMethod === 'client_secret_post'
      ? client.ClientSecretPost(options.clientSecret)
      : client.ClientSecretBasic(options.clientSecret);
  const where = new URL('.well-known/openid-configuration', withSlash(options.issuer)).href;
  for (let attempt = 1; ; attempt++) {
    try {
      const configuration = await client.discovery(options.issuer, options.clientId, metadata, auth, {
        timeout,
        ...(options.allowHttp ? { execute: [client.allowInsecureRequests] } : {}),
      });
      configuration.timeout = options.requestTimeoutSeconds ?? 10;
      return configuration;
    } catch (error) {
      const permanent = permanentProblem(error, options.issuer);
      if (permanent)
        throw new DiscoveryError(`OpenID Connect discovery at ${where}: ${permanent}`, { cause: error });
      if (attempt >= attempts) {
        throw new DiscoveryError(
          `OpenID Connect discovery at ${where} failed ${attempts} times, the last: ${reason(error)}. Is Twofold running, and is ${options.issuer.href} its issuer?`,
          { cause: error },
        );
      }
      options.onRetry?.(attempt, error);
      await sleep(delay);
      delay *= 2;
    }
  }
}

const withSlash = (url: URL) => (url.href.endsWith('/') ? url.href : `${url.href}/`);

/** What retrying will not fix: a wrong issuer, or http where only https is allowed. */
function permanentProblem(error: unknown, issuer: URL): string | undefined {
  if (!(error instanceof client.ClientError)) return undefined;
  if (error.code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED') {
    const found = (error.cause as { body?: { issuer?: unknown } } | undefined)?.body?.issuer;
    return `the provider's issuer is ${JSON.stringify(found)}, not ${JSON.stringify(issuer.href)}: set OIDC_APP_ISSUER to it`;
  }
  if (error.code === 'OAUTH_HTTP_REQUEST_FORBIDDEN') {
    return 'the issuer is plain http, which is allowed only when OIDC_APP_ALLOW_HTTP is true (the default for a loopback issuer)';
  }
  return undefined;
}

/** One line on why a request to the provider failed (fetch's own message names no cause). */
export function reason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as { code?: unknown; message?: unknown; status?: unknown } | undefined;
  if (error instanceof client.ClientError && error.code === 'OAUTH_RESPONSE_IS_NOT_CONFORM') {
    const status = (error.cause as Response | undefined)?.status;
    return `the answer was HTTP ${status ?? '?'}, not the provider's metadata`;
  }
  if (typeof cause?.code === 'string') return `${error.message} (${cause.code})`;
  return error.message;
}

/** What a failed step of the flow shows: an OAuth error code, or openid-client's own. */
export interface FlowError {
  code: string;
  status: 400 | 502;
  /** The provider's error_description, if it gave one. */
  detail?: string;
}

const CODE = /^[A-Za-z0-9_.-]{1,80}$/;
const safeCode = (code: unknown, fallback: string) =>
  typeof code === 'string' && CODE.test(code) ? code : fallback;

/** The error of openid-client (or of the provider through it); undefined for anything else (a bug). */
export function flowError(error: unknown): FlowError | undefined {
  if (error instanceof client.AuthorizationResponseError || error instanceof client.ResponseBodyError) {
    return {
      code: safeCode(error.error, 'invalid_response'),
      status: 400,
      ...(error.error_description ? { detail: error.error_description } : {}),
    };
  }
  if (error instanceof client.WWWAuthenticateChallengeError) {
    const challenge = error.cause[0];
    return {
      code: safeCode(challenge?.parameters.error, 'invalid_token'),
      status: 400,
      ...(challenge?.parameters.error_description ? { detail: challenge.parameters.error_description } : {}),
    };
  }
  // fetch's own failure (refused, reset, DNS), or openid-client's timeout: the provider did not answer.
  if (error instanceof TypeError && error.message === 'fetch failed') {
    return { code: 'provider_unavailable', status: 502 };
  }
  if (error instanceof client.ClientError) {
    if (error.code === 'OAUTH_TIMEOUT' || error.code === 'OAUTH_ABORT') {
      return { code: 'provider_unavailable', status: 502 };
    }
    return { code: safeCode(error.code, 'client_error'), status: 400, detail: error.message };
  }
  // openid-client's coded TypeErrors (a parameter it refuses).
  if (error instanceof TypeError && typeof (error as { code?: unknown }).code === 'string') {
    return { code: safeCode((error as { code?: unknown }).code, 'client_error'), status: 400 };
  }
  return undefined;
}
