import { ConfigError, secretFrom } from '../shared/config.ts';

export { ConfigError, secretFrom };

export interface RpWebConfig {
  port: number;
  /** Shown on every page; also the name to link on the Twofold account page. */
  appName: string;
  twofoldUrl: string;
  /** Twofold's account page as users reach it, where they enter link codes. */
  twofoldAccountUrl: string;
  /** The application's Twofold API key; read from a file in production (RP_WEB_API_KEY_FILE). */
  apiKey: string;
  usersFile: string;
  /** Signs the session cookie; undefined: a random one per process (sessions end at a restart). */
  cookieSecret?: string;
  /** The origin browsers use (behind a proxy); else the request's own. */
  publicOrigin?: string;
  /** A demo user seeded into memory at start (not written to the users file). */
  demoUser?: { username: string; password: string };
}

export function usersFileFrom(env: NodeJS.ProcessEnv): string {
  return env.RP_WEB_USERS_FILE?.trim() || 'rp-web-users.json';
}

export function loadConfig(env: NodeJS.ProcessEnv): RpWebConfig {
  const rawPort = env.RP_WEB_PORT ?? '8090';
  const port = Number(rawPort);
  if (!/^\d+$/.test(rawPort) || port < 1 || port > 65535) {
    throw new ConfigError(`RP_WEB_PORT must be a port number, got ${JSON.stringify(rawPort)}`);
  }
  const twofoldUrl = env.RP_WEB_TWOFOLD_URL?.trim() || 'http://127.0.0.1:8080';
  if (!isHttpUrl(twofoldUrl)) {
    throw new ConfigError(`RP_WEB_TWOFOLD_URL must be an http(s) URL, got ${JSON.stringify(twofoldUrl)}`);
  }
  const twofoldAccountUrl = env.RP_WEB_TWOFOLD_ACCOUNT_URL?.trim() || new URL('/account', twofoldUrl).href;
  if (!isHttpUrl(twofoldAccountUrl)) {
    throw new ConfigError(
      `RP_WEB_TWOFOLD_ACCOUNT_URL must be an http(s) URL, got ${JSON.stringify(twofoldAccountUrl)}`,
    );
  }
  const apiKey = secretFrom(env, 'RP_WEB_API_KEY');
  if (!apiKey)
    throw new ConfigError(
      'RP_WEB_API_KEY (or RP_WEB_API_KEY_FILE) is required: `twofold apps add` prints it',
    );
  const cookieSecret = secretFrom(env, 'RP_WEB_COOKIE_SECRET');
  if (cookieSecret !== undefined && cookieSecret.length < 32) {
    throw new ConfigError('RP_WEB_COOKIE_SECRET must have at least 32 characters');
  }
  const publicOrigin = env.RP_WEB_PUBLIC_ORIGIN?.trim();
  if (publicOrigin && (!isHttpUrl(publicOrigin) || new URL(publicOrigin).origin !== publicOrigin)) {
    throw new ConfigError(
      `RP_WEB_PUBLIC_ORIGIN must be an origin like https://app.example.com, got ${JSON.stringify(publicOrigin)}`,
    );
  }
  const demoName = env.RP_WEB_DEMO_USER?.trim();
  const demoPassword = secretFrom(env, 'RP_WEB_DEMO_PASSWORD');
  if (Boolean(demoName) !== Boolean(demoPassword)) {
    throw new ConfigError('RP_WEB_DEMO_USER and RP_WEB_DEMO_PASSWORD go together');
  }
  return {
    port,
    appName: env.RP_WEB_APP_NAME?.trim() || 'rp-web',
    twofoldUrl,
    twofoldAccountUrl,
    apiKey,
    usersFile: usersFileFrom(env),
    ...(cookieSecret ? { cookieSecret } : {}),
    ...(publicOrigin ? { publicOrigin } : {}),
    ...(demoName && demoPassword ? { demoUser: { username: demoName, password: demoPassword } } : {}),
  };
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
