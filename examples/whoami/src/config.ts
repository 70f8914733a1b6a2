// The whoami demo's settings from its environment (WHOAMI_*), checked before it listens.

export interface WhoamiConfig {
  port: number;
  /** Shown as the page's title. */
  appName: string;
  /** Where "Log out" leads: the login service's home page, as a full URL. */
  loginUrl?: string;
  /** Or only its host (the cookie domain): the link then keeps the port the browser used. */
  loginHost?: string;
}

const HOST_NAME =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** Throws an error naming the variable at fault. */
export function whoamiConfig(env: NodeJS.ProcessEnv): WhoamiConfig {
  const rawPort = env.WHOAMI_PORT;
  const port = Number(rawPort);
  if (!rawPort || !/^\d+$/.test(rawPort) || port < 1 || port > 65535) {
    throw new Error(`WHOAMI_PORT must be a port number, got ${JSON.stringify(rawPort)}`);
  }
  const config: WhoamiConfig = { port, appName: env.WHOAMI_APP_NAME?.trim() || 'whoami' };
  if (env.WHOAMI_LOGIN_URL) {
    let url: URL;
    try {
      url = new URL(env.WHOAMI_LOGIN_URL);
    } catch {
      throw new Error(`WHOAMI_LOGIN_URL must be a URL, got ${JSON.stringify(env.WHOAMI_LOGIN_URL)}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new Error(
        `WHOAMI_LOGIN_URL must be an http or https URL, got ${JSON.stringify(env.WHOAMI_LOGIN_URL)}`,
      );
    config.loginUrl = url.href;
  }
  if (env.WHOAMI_LOGIN_HOST) {
    if (!HOST_NAME.test(env.WHOAMI_LOGIN_HOST))
      throw new Error(`WHOAMI_LOGIN_HOST must be a host name, got ${JSON.stringify(env.WHOAMI_LOGIN_HOST)}`);
    config.loginHost = env.WHOAMI_LOGIN_HOST.toLowerCase();
  }
  return config;
}
