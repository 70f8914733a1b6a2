// Pairing links (`<origin>/phone/#pair=<token>`) and the URLs derived from a server origin.

export interface PairingTarget {
  origin: string;
  token: string;
}

export class PairingLinkError extends Error {
  override name = 'PairingLinkError';
}

const TOKEN = /^[A-Za-z0-9_-]{16,128}$/;

/**
 * The server origin and pairing token from a link the browser showed, or from a bare token with
 * `server` (the origin). A given `server` wins over the link's origin, for a link made through
 * one load balancer and used through another.
 */
export function parsePairingLink(link: string, server?: string): PairingTarget {
  const text = link.trim();
  if (TOKEN.test(text)) {
    if (!server)
      throw new PairingLinkError('a bare pairing token needs --server <origin> (e.g. http://127.0.0.1:8080)');
    return { origin: parseOrigin(server), token: text };
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new PairingLinkError(`not a pairing link: expected <origin>/phone/#pair=<token>, got "${text}"`);
  }
  const token = new URLSearchParams(url.hash.slice(1)).get('pair');
  if (!token) throw new PairingLinkError(`the link has no #pair=<token> part: "${text}"`);
  if (!TOKEN.test(token)) throw new PairingLinkError('the pairing token in the link is malformed');
  return { origin: server ? parseOrigin(server) : parseOrigin(url.origin), token };
}

/** `http(s)://host[:port]`, without path or trailing slash. */
export function parseOrigin(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new PairingLinkError(`not a server origin: "${text}" (e.g. http://127.0.0.1:8080)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new PairingLinkError(`the server must be http:// or https://, not ${url.protocol}`);
  }
  return url.origin;
}

export const PUSH_PATH = '/push/v1/connect';

/** The push gateway's WebSocket URL behind an origin: http → ws, https → wss. */
export function pushUrl(origin: string): string {
  const url = new URL(PUSH_PATH, origin);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
}

export function apiUrl(origin: string, route: string): string {
  return new URL(route, origin).href;
}
