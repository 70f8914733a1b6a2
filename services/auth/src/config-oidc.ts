import { type Static, Type } from '@sinclair/typebox';
import { ConfigError } from '../../common/src/env-loader.ts';
import { Int } from '../../common/src/service-env.ts';
import type { PushEnvSchema } from './config-push.ts';

/** The OpenID Connect provider's settings; spread into EnvSchema. See README "OpenID Connect". */
export const OidcEnvSchema = Type.Object({
  /** The issuer (scheme://host[:port]/oidc); unset: the public URL followed by /oidc. */
  TWOFOLD_OIDC_ISSUER: Type.Optional(Type.String({ minLength: 1, maxLength: 2_048 })),
  /** How often a replica looks for signing keys added or retired by `twofold keys rotate-signing`. */
  TWOFOLD_OIDC_KEY_POLL_SECONDS: Int(5, 1, 300),
});

export interface OidcConfig {
  issuer: string;
  keyPollSeconds: number;
}

/** The path the provider is mounted at on every replica; an issuer must end with it. */
export const OIDC_MOUNT = '/oidc';

type Env = Static<typeof OidcEnvSchema> & Pick<Static<typeof PushEnvSchema>, 'TWOFOLD_PUBLIC_URL'>;

/** Undefined when there is neither an issuer nor a public URL: the provider is then not offered. */
export function oidcConfigFrom(env: Env): OidcConfig | undefined {
  const issuer =
    env.TWOFOLD_OIDC_ISSUER ??
    (env.TWOFOLD_PUBLIC_URL ? `${env.TWOFOLD_PUBLIC_URL}${OIDC_MOUNT}` : undefined);
  if (!issuer) return undefined;
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new ConfigError(`TWOFOLD_OIDC_ISSUER: "${issuer}" is not a URL`);
  }
  if (
    !/^https?:$/.test(url.protocol) ||
    url.pathname !== OIDC_MOUNT ||
    url.search ||
    url.hash ||
    url.username
  )
    throw new ConfigError(`TWOFOLD_OIDC_ISSUER: must be http(s)://host[:port]${OIDC_MOUNT}, not "${issuer}"`);
  return { issuer: `${url.origin}${OIDC_MOUNT}`, keyPollSeconds: env.TWOFOLD_OIDC_KEY_POLL_SECONDS };
}
