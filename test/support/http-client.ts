// A minimal cookie-keeping HTTP client for tests that go through the load balancers: over fetch,
// or over node:http bound to a loopback address of its own (127.x.y.z) to act as another client IP.
import { request as httpRequest } from 'node:http';

export interface HttpResult {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON shapes from responses
  body: any;
}

export interface HttpClientOptions {
  /** Source address of the connections (any 127.x.y.z): nginx then sees this client IP. */
  localAddress?: string;
  /** Abort a request after this long (default 15 s); it then rejects. */
  timeoutMs?: number;
}

interface RawResponse {
  status: number;
  headers: Headers;
  setCookies: string[];
  text: string;
}

export class HttpClient {
  cookie: string | undefined;

  constructor(
    public baseUrl: string,
    readonly options: HttpClientOptions = {},
  ) {}

  /** Sends the next requests to another load balancer, keeping the session. */
  via(baseUrl: string): this {
    this.baseUrl = baseUrl;
    return this;
  }

  async request(method: string, path: string, body?: unknown): Promise<HttpResult> {
    const headers: Record<string, string> = {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(this.cookie ? { cookie: this.cookie } : {}),
    };
    const url = new URL(path, this.baseUrl);
    const payload = body !== undefined ? JSON.stringify(body) : undefined;
    const timeoutMs = this.options.timeoutMs ?? 15_000;
    const raw = this.options.localAddress
      ? await sendFrom(this.options.localAddress, url, { method, headers, payload, timeoutMs })
      : await sendWithFetch(url, { method, headers, payload, timeoutMs });
    for (const header of raw.setCookies) {
      const [pair] = header.split(';');
      if (!pair?.startsWith('twofold_sid=')) continue;
      this.cookie = /Max-Age=0|Expires=Thu, 01 Jan 1970/.test(header) ? undefined : pair;
    }
    let parsed: unknown = raw.text;
    try {
      parsed = raw.text ? JSON.parse(raw.text) : undefined;
    } catch {}
    return { status: raw.status, headers: raw.headers, body: parsed };
  }

  post(path: string, body: unknown = {}) {
    return this.request('POST', path, body);
  }

  get(path: string) {
    return this.request('GET', path);
  }
}

interface Outgoing {
  method: string;
  headers: Record<string, string>;
  payload: string | undefined;
  timeoutMs: number;
}

async function sendWithFetch(url: URL, out: Outgoing): Promise<RawResponse> {
  const response = await fetch(url, {
    method: out.method,
    headers: out.headers,
    body: out.payload,
    redirect: 'manual',
    signal: AbortSignal.timeout(out.timeoutMs),
  });
  return {
    status: response.status,
    headers: response.headers,
    setCookies: response.headers.getSetCookie(),
    text: await response.text(),
  };
}

/** One request on a fresh connection from `localAddress` (fetch cannot choose its source address). */
function sendFrom(localAddress: string, url: URL, out: Outgoing): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method: out.method,
        localAddress,
        agent: false,
        headers: {
          ...out.headers,
          ...(out.payload ? { 'content-length': Buffer.byteLength(out.payload) } : {}),
        },
        signal: AbortSignal.timeout(out.timeoutMs),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (name === 'set-cookie' || value === undefined) continue;
            headers.set(name, Array.isArray(value) ? value.join(', ') : value);
          }
          resolve({
            status: res.statusCode ?? 0,
            headers,
            setCookies: res.headers['set-cookie'] ?? [],
            text: Buffer.concat(chunks).toString('utf8'),
          });
        });
      },
    );
    req.on('error', reject);
    req.end(out.payload);
  });
}

export { previousStepCode, totpCode, totpStep } from './totp-codes.ts';
