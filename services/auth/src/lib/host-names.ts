// Host names as applications, cookies and redirects use them: ASCII, lower case, no port.
// (An internationalised name is registered in its punycode form, xn--…, as browsers send it.)

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
export const HOST_NAME = new RegExp(`^(?=.{1,253}$)${LABEL}(?:\\.${LABEL})*$`);
const IPV6_LITERAL = /^\[[0-9a-f:.]{2,45}\]$/;

export function isHostName(value: string): boolean {
  return HOST_NAME.test(value);
}

/**
 * A Host (or X-Forwarded-Host) header split into its lower-case host and its port; undefined when it
 * is no host name, IPv4 or bracketed IPv6 address, with an optional port.
 */
export function parseHostHeader(header: string): { host: string; port: string | undefined } | undefined {
  const value = header.trim().toLowerCase();
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d{1,5}))?$/.exec(value);
  if (!match) return undefined;
  // "app.example." is app.example to DNS and to nginx's server names: it must be to its rules too.
  const host = (match[1] as string).replace(/(?<=[a-z0-9])\.$/, '');
  if (!isHostName(host) && !IPV6_LITERAL.test(host)) return undefined;
  const port = match[2];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65_535)) return undefined;
  return { host, port };
}

/** Whether a host is the cookie domain itself or one of its subdomains (a.b.example for b.example). */
export function isWithinDomain(host: string, domain: string): boolean {
  return host === domain || host.endsWith(`.${domain}`);
}

/**
 * The Domain of the session cookie for a request to this Host: the cookie domain when the host is
 * within it (single sign-on across its subdomains), else none (host-only: a cluster reached by
 * another name or an address, 127.0.0.1, keeps working).
 */
export function sessionCookieDomain(hostHeader: string, cookieDomain: string | null): string | undefined {
  if (!cookieDomain) return undefined;
  const target = parseHostHeader(hostHeader);
  return target && isWithinDomain(target.host, cookieDomain) ? cookieDomain : undefined;
}
