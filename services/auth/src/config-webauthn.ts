import { isIP } from 'node:net';
import { type Static, Type } from '@sinclair/typebox';
import { ConfigError } from '../../common/src/env-loader.ts';
import type { PushEnvSchema } from './config-push.ts';
import { isHostName, isWithinDomain } from './lib/host-names.ts';

/** The security-key and passkey settings of an auth replica; spread into EnvSchema. See README "Configuration". */
export const WebAuthnEnvSchema = Type.Object({
  /** The relying party's id (a host name); unset: the public URL's host name. */
  TWOFOLD_WEBAUTHN_RP_ID: Type.Optional(Type.String({ minLength: 1, maxLength: 253 })),
  /** Comma-separated origins (scheme://host[:port]) the browser may be on; unset: the public URL's. */
  TWOFOLD_WEBAUTHN_ORIGINS: Type.Optional(Type.String({ minLength: 1, maxLength: 4_096 })),
  /** What the browser and the authenticator show as the site's name. */
  TWOFOLD_WEBAUTHN_RP_NAME: Type.String({ default: 'Twofold', minLength: 1, maxLength: 64 }),
});

export interface WebAuthnConfig {
  /** Lower case; every origin's host is it or one of its subdomains. */
  rpId: string;
  rpName: string;
  /** As browsers write them in clientDataJSON: scheme://host[:port], no trailing slash. */
  origins: string[];
}

type Env = Static<typeof WebAuthnEnvSchema> & Pick<Static<typeof PushEnvSchema>, 'TWOFOLD_PUBLIC_URL'>;

/** Undefined when there is neither a public URL nor explicit origins: WebAuthn is then not offered. */
export function webAuthnConfigFrom(env: Env): WebAuthnConfig | undefined {
  const publicUrl = env.TWOFOLD_PUBLIC_URL ? browserUrl(env.TWOFOLD_PUBLIC_URL) : undefined;
  const explicit = env.TWOFOLD_WEBAUTHN_ORIGINS ? parseOrigins(env.TWOFOLD_WEBAUTHN_ORIGINS) : undefined;
  if (!publicUrl && !explicit) return undefined;
  const origins = explicit ?? [(publicUrl as URL).origin];
  const rpId = env.TWOFOLD_WEBAUTHN_RP_ID
    ? parseRpId(env.TWOFOLD_WEBAUTHN_RP_ID)
    : (publicUrl ?? browserUrl(origins[0] as string)).hostname;
  for (const origin of origins) {
    if (!isWithinDomain(new URL(origin).hostname, rpId)) {
      throw new ConfigError(
        `TWOFOLD_WEBAUTHN_ORIGINS: ${origin} is not on the relying party's domain ${rpId} (or set TWOFOLD_WEBAUTHN_RP_ID)`,
      );
    }
  }
  return { rpId, rpName: env.TWOFOLD_WEBAUTHN_RP_NAME, origins };
}

/**
 * The URL as a browser must be on it for WebAuthn: browsers refuse an IP address as the relying
 * party's id, so a cluster reached at 127.0.0.1 offers it at localhost (the same machine).
 */
function browserUrl(value: string): URL {
  const url = new URL(value);
  if (isIP(url.hostname.replace(/^\[|\]$/g, '')) !== 0) url.hostname = 'localhost';
  return url;
}

function parseRpId(value: string): string {
  const rpId = value.toLowerCase();
  if (!isHostName(rpId) || isIP(rpId) !== 0) {
    throw new ConfigError('TWOFOLD_WEBAUTHN_RP_ID: invalid (a host name such as twofold.example, no port)');
  }
  return rpId;
}

function parseOrigins(value: string): string[] {
  const origins = value.split(',').map((entry) => {
    const text = entry.trim();
    let url: URL | undefined;
    try {
      url = new URL(text);
    } catch {}
    // Nothing but scheme, host and port: no path, query, fragment or credentials.
    if (!url || !/^https?:$/.test(url.protocol) || url.href !== `${url.origin}/`) {
      throw new ConfigError(`TWOFOLD_WEBAUTHN_ORIGINS: "${text}" is not an origin (scheme://host[:port])`);
    }
    return url.origin;
  });
  return [...new Set(origins)];
}
