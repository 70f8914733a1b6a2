// A minimal cookie-keeping HTTP client over fetch, for tests that go through the load balancers.
import { generate } from 'otplib';

export interface HttpResult {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON shapes from responses
  body: any;
}

export class HttpClient {
  cookie: string | undefined;

  constructor(public baseUrl: string) {}

  /** Sends the next requests to another load balancer, keeping the session. */
  via(baseUrl: string): this {
    this.baseUrl = baseUrl;
    return this;
  }

  async request(method: string, path: string, body?: unknown): Promise<HttpResult> {
    const response = await fetch(new URL(path, this.baseUrl), {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(this.cookie ? { cookie: this.cookie } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
      redirect: 'manual',
      signal: AbortSignal.timeout(15_000),
    });
    for (const header of response.headers.getSetCookie()) {
      const [pair] = header.split(';');
      if (!pair?.startsWith('twofold_sid=')) continue;
      this.cookie = /Max-Age=0|Expires=Thu, 01 Jan 1970/.test(header) ? undefined : pair;
    }
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {}
    return { status: response.status, headers: response.headers, body: parsed };
  }

  post(path: string, body: unknown = {}) {
    return this.request('POST', path, body);
  }

  get(path: string) {
    return this.request('GET', path);
  }
}

export function totpCode(secret: string, atMs = Date.now()): Promise<string> {
  return generate({ secret, epoch: Math.floor(atMs / 1000) });
}
