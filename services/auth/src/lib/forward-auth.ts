// What /auth/verify tells nginx beyond its status: where to send a browser that must sign in
// (Location, with the URL it asked for as `rd`), and who the user is (Remote-* headers).
import type { ApplicationsConfig } from '../config-applications.ts';
import { isWithinDomain } from './host-names.ts';

/** A longer original URL is left out of the login link rather than make a huge Location header. */
const MAX_RD_LENGTH = 2_048;
const PRINTABLE = /^[\x21-\x7e]+$/;
const ABSOLUTE_HTTP = /^https?:\/\/[^/?#\\]/i;

export interface ForwardedRequest {
  /** http or https, as the load balancer saw it. */
  proto: string;
  /** The Host the browser sent to the application, lower case, port apart. */
  host: string;
  port: string | undefined;
  /** X-Original-URL (absolute), set by some proxies. */
  originalUrl?: string | undefined;
  /** The path and query the browser asked for: X-Forwarded-Uri, X-Original-URI or the request's own. */
  uri: string;
}

/** The URL the browser asked the application for, or undefined when it cannot be told safely. */
export function originalUrl(request: ForwardedRequest): string | undefined {
  const given = request.originalUrl;
  const url =
    given && ABSOLUTE_HTTP.test(given)
      ? given
      : `${request.proto}://${hostWithPort(request.host, request.port)}${request.uri.startsWith('/') ? request.uri : '/'}`;
  return url.length <= MAX_RD_LENGTH && PRINTABLE.test(url) ? url : undefined;
}

/**
 * The login page for this request: TWOFOLD_LOGIN_URL; else, for a host under the cookie domain, the
 * cookie domain itself on the port the browser used (each load balancer keeps its own visitors);
 * else the host the browser asked for.
 */
export function loginUrl(config: ApplicationsConfig, request: ForwardedRequest): string {
  if (config.loginUrl) return config.loginUrl;
  const domain = config.cookieDomain;
  const host = domain && isWithinDomain(request.host, domain) ? domain : request.host;
  return `${request.proto}://${hostWithPort(host, request.port)}/login`;
}

/** The Location of a 401: the login page, with `?rd=` when the original URL is known. */
export function loginLocation(config: ApplicationsConfig, request: ForwardedRequest): string {
  const login = loginUrl(config, request);
  const back = originalUrl(request);
  return back ? `${login}?rd=${encodeURIComponent(back)}` : login;
}

function hostWithPort(host: string, port: string | undefined): string {
  return port ? `${host}:${port}` : host;
}
