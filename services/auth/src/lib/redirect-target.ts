// Where a login may send the browser back to (`rd`): only to an application's own host, so that
// Twofold is never an open redirect. The string is checked as typed, and then as a URL parser reads
// it: both must name the same scheme and host, or it is refused.

const MAX_LENGTH = 2_048;
// Scheme, then an authority of host-name characters (no userinfo, no backslash), an optional
// port, then a path, query or fragment of printable ASCII other than the backslash. A browser
// percent-encodes anything else before it sends a URL, so nothing legitimate is refused.
const SHAPE = /^(https?):\/\/([a-z0-9.-]+)(?::(\d{1,5}))?(?:[/?#][\x21-\x5b\x5d-\x7e]*)?$/i;

/** The URL to go back to and its host (lower case, no port), when `rd` may be followed at all. */
export function parseRedirectTarget(rd: string): { url: string; host: string } | undefined {
  if (rd.length > MAX_LENGTH) return undefined;
  const shape = SHAPE.exec(rd);
  if (!shape) return undefined;
  let url: URL;
  try {
    url = new URL(rd);
  } catch {
    return undefined;
  }
  const host = (shape[2] as string).toLowerCase();
  if (url.protocol !== `${(shape[1] as string).toLowerCase()}:` || url.hostname !== host) return undefined;
  if (url.username || url.password) return undefined;
  return { url: url.href, host };
}
