// The capacity benchmark's HTTP driver: one request over a keep-alive agent bound to a loopback
// source address, always with a timeout; any failure becomes a BenchError whose `kind` is what the
// report counts ("HTTP 429 rate_limited", "timeout", "ECONNRESET").
import { Agent, request } from 'node:http';

export class BenchError extends Error {
  constructor(readonly kind: string) {
    super(kind);
  }
}

export interface Reply {
  status: number;
  /** The `name=value` of the twofold_sid cookie the answer set, if it set one. */
  sessionCookie: string | undefined;
  text: string;
}

export interface Outgoing {
  method: 'GET' | 'POST';
  url: URL;
  agent: Agent;
  cookie?: string;
  body?: unknown;
  timeoutMs: number;
}

/** A keep-alive agent whose connections leave from `localAddress` (nginx sees that client address). */
export function agentFrom(localAddress: string, maxSockets = 4): Agent {
  return new Agent({ keepAlive: true, maxSockets, localAddress });
}

/** "HTTP <status> <error code>" from a JSON error body ({"error":{"code":…}}), or the status alone. */
export function errorKind(status: number, text: string): string {
  try {
    const code = (JSON.parse(text) as { error?: { code?: unknown } }).error?.code;
    if (typeof code === 'string') return `HTTP ${status} ${code}`;
  } catch {}
  return `HTTP ${status}`;
}

/**
 * The session a response set: the last twofold_sid that is not a deletion (a login may also clear a
 * host-only copy of the cookie beside the domain one, with an empty value and Max-Age=0).
 */
export function sessionCookieOf(setCookies: string[]): string | undefined {
  const live = setCookies.filter(
    (header) =>
      header.startsWith('twofold_sid=') &&
      !header.startsWith('twofold_sid=;') &&
      !/Max-Age=0|Expires=Thu, 01 Jan 1970/i.test(header),
  );
  return live.at(-1)?.split(';')[0];
}

export function send(out: Outgoing): Promise<Reply> {
  const payload = out.body === undefined ? undefined : JSON.stringify(out.body);
  const headers: Record<string, string | number> = {};
  if (out.cookie) headers.cookie = out.cookie;
  if (payload !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = Buffer.byteLength(payload);
  }
  return new Promise((resolve, reject) => {
    const req = request(out.url, { method: out.method, agent: out.agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', (error: NodeJS.ErrnoException) => reject(new BenchError(error.code ?? error.message)));
      res.on('end', () => {
        clearTimeout(timer);
        const sid = sessionCookieOf(res.headers['set-cookie'] ?? []);
        resolve({
          status: res.statusCode ?? 0,
          sessionCookie: sid?.split(';')[0],
          text: Buffer.concat(chunks).toString('utf8'),
        });
      });
    });
    const timer = setTimeout(() => req.destroy(new BenchError('timeout')), out.timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(error instanceof BenchError ? error : new BenchError(error.code ?? error.message));
    });
    req.end(payload);
  });
}

/** Sends and insists on `status`; anything else is a BenchError of its kind. */
export async function expect(out: Outgoing, status: number): Promise<Reply> {
  const reply = await send(out);
  if (reply.status !== status) throw new BenchError(errorKind(reply.status, reply.text));
  return reply;
}
