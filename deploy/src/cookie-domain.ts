// The domain the session cookie covers (TWOFOLD_COOKIE_DOMAIN, default twofold.localhost): the
// login page and the demo applications app1. and app2. live under it, so one login serves them all.

/** Browsers (Chromium too) resolve *.localhost to loopback: these names need no DNS. */
export const DEFAULT_COOKIE_DOMAIN = 'twofold.localhost';

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const DOMAIN = new RegExp(`^(?=.{1,253}$)${LABEL}(?:\\.${LABEL})*$`);

/**
 * The domain in lower case; throws on anything but letters, digits, hyphens and dots (it is
 * written into nginx's config and the replicas' cookies).
 */
export function checkCookieDomain(domain: string, source = 'cookie domain'): string {
  const lower = domain.trim().toLowerCase();
  if (!DOMAIN.test(lower))
    throw new RangeError(`${source}: "${domain}" is not a domain name (letters, digits, hyphens and dots)`);
  return lower;
}

/** The `--cookie-domain` flag wins over TWOFOLD_COOKIE_DOMAIN, which wins over the default. */
export function resolveCookieDomain(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (flag !== undefined) return checkCookieDomain(flag, '--cookie-domain');
  const fromEnv = env.TWOFOLD_COOKIE_DOMAIN;
  if (fromEnv) return checkCookieDomain(fromEnv, 'TWOFOLD_COOKIE_DOMAIN');
  return DEFAULT_COOKIE_DOMAIN;
}

/** The demo applications' host names under the cookie domain, as the load balancers serve them. */
export const DEMO_APPS = ['app1', 'app2'] as const;
export const demoAppHosts = (cookieDomain: string): string[] =>
  DEMO_APPS.map((app) => `${app}.${cookieDomain}`);
