// A browser-like HTTP client for one flow: its own cookie jar, connections kept alive and bound to
// the virtual client's loopback address, a timeout on every request, and each request recorded as
// a step. An answer other than the expected status ends the flow with that status as its kind.
import { Agent, request as httpRequest } from 'node:http';
import { errorKind, FlowError } from './flow-errors.ts';
import type { Recorder } from './recorder.ts';

const agents = new Map<string, Agent>();

/** The keep-alive agent of one source address, shared by that virtual client's flows. */
export function agentFor(localAddress: string): Agent {
  let agent = agents.get(localAddress);
  if (!agent) {
    agent = new Agent({ keepAlive: true, localAddress, maxSockets: 16 });
    agents.set(localAddress, agent);
  }
  return agent;
}

export function closeAgents(): void {
  for (const agent of agents.values()) agent.destroy();
  agents.clear();
}

export interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: flows read the API's JSON shapes
  body: any;
  headers: Record<string, string | string[] | undefined>;
}

export interface ClientOptions {
  baseUrl: string;
  localAddress: string;
  timeoutMs: number;
  recorder?: Recorder;
  /** Prefix of the step names (the flow's name). */
  flow: string;
  cookies?: Map<string, string>;
  /**
   * The other load balancer: when a connection to this one is refused, the request (which never
   * reached a server) and the rest of the flow go there, as a browser tries a host name's next
   * address. Counted as a note "lb-failover", not as an error.
   */
  fallbackUrl?: string;
}

export class LoadClient {
  readonly cookies: Map<string, string>;
  baseUrl: string;

  constructor(private readonly options: ClientOptions) {
    this.baseUrl = options.baseUrl;
    this.cookies = options.cookies ?? new Map();
  }

  /** Sends `method path` and expects one of `expected` statuses; returns the answer. */
  async call(
    step: string,
    method: string,
    path: string,
    body: unknown,
    expected: number | number[],
  ): Promise<Answer> {
    const name = `${this.options.flow}/${step}`;
    const sentAt = performance.now();
    let answer: Answer;
    try {
      answer = await this.send(method, path, body).catch((error) => {
        const fallback = this.options.fallbackUrl;
        if (errorKind(error) !== 'refused' || !fallback || fallback === this.baseUrl) throw error;
        this.baseUrl = fallback;
        this.options.recorder?.note(performance.now(), 'lb-failover');
        return this.send(method, path, body);
      });
    } catch (error) {
      this.options.recorder?.step(name, performance.now() - sentAt, errorKind(error));
      throw error;
    }
    const ok = Array.isArray(expected) ? expected.includes(answer.status) : answer.status === expected;
    this.options.recorder?.step(name, performance.now() - sentAt, ok ? undefined : String(answer.status));
    if (!ok) {
      const code = answer.body?.error?.code ?? '';
      throw new FlowError(String(answer.status), `${name}: HTTP ${answer.status} ${code}`.trim());
    }
    return answer;
  }

  /** Fails the flow as "unexpected-state" when an answer has the right status but not the right content. */
  expectState(step: string, answer: Answer, state: string): void {
    if (answer.body?.state !== state) {
      this.options.recorder?.step(`${this.options.flow}/${step}:state`, 0, 'unexpected-state');
      throw new FlowError(
        'unexpected-state',
        `${step}: state ${JSON.stringify(answer.body?.state)}, expected ${state}`,
      );
    }
  }

  private send(method: string, path: string, body: unknown): Promise<Answer> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string | number> = { accept: 'application/json' };
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(payload);
    }
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        new URL(path, this.baseUrl),
        {
          method,
          headers,
          agent: agentFor(this.options.localAddress),
          signal: AbortSignal.timeout(this.options.timeoutMs),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            this.keepCookies(res.headers['set-cookie'] ?? []);
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {}
            resolve({ status: res.statusCode ?? 0, body: parsed, headers: res.headers });
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  private keepCookies(setCookies: string[]): void {
    for (const header of setCookies) {
      const [pair = ''] = header.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (/Max-Age=0|Expires=Thu, 01 Jan 1970/i.test(header) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}
