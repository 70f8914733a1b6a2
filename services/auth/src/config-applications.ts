import { isIP } from 'node:net';
import { type Static, Type } from '@sinclair/typebox';
import { ConfigError } from '../../common/src/env-loader.ts';
import { isHostName } from './lib/host-names.ts';

/** The forward-auth and single sign-on settings of an auth replica; spread into EnvSchema. */
export const ApplicationsEnvSchema = Type.Object({
  /** A parent domain of the applications (e.g. twofold.localhost): the session cookie is shared with them. */
  TWOFOLD_COOKIE_DOMAIN: Type.Optional(Type.String({ minLength: 1, maxLength: 253 })),
  /** The absolute URL of the login page that /auth/verify's 401 points to (default: derived per request). */
  TWOFOLD_LOGIN_URL: Type.Optional(Type.String({ minLength: 1, maxLength: 2_048 })),
});

export interface ApplicationsConfig {
  /** Lower case; null when the session cookie stays host-only everywhere. */
  cookieDomain: string | null;
  /** Without query or fragment: `?rd=` is appended to it. */
  loginUrl: string | null;
}

export function applicationsConfigFrom(env: Static<typeof ApplicationsEnvSchema>): ApplicationsConfig {
  return {
    cookieDomain: env.TWOFOLD_COOKIE_DOMAIN ? cookieDomain(env.TWOFOLD_COOKIE_DOMAIN) : null,
    loginUrl: env.TWOFOLD_LOGIN_URL ? loginUrl(env.TWOFOLD_LOGIN_URL) : null,
  };
}

function cookieDomain(value: string): string {
  const domain = value.toLowerCase();
  // A cookie's Domain is a host name; browsers ignore it on an address.
  if (!isHostName(domain) || isIP(domain) !== 0) {
    throw new ConfigError(`TWOFOLD_COOKIE_DOMAIN: invalid (a host name such as twofold.example, no port)`);
  }
  return domain;
}

function loginUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError('TWOFOLD_LOGIN_URL: invalid (an absolute http(s) URL of the login page)');
  }
  if (!/^https?:$/.test(url.protocol) || url.username || url.password || /[?#]/.test(value)) {
    throw new ConfigError('TWOFOLD_LOGIN_URL: invalid (http(s), no credentials, no query or fragment)');
  }
  return url.href;
}
