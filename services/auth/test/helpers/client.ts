import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { generate } from 'otplib';

export const COOKIE = 'twofold_sid';

/** A tiny browser: keeps the session cookie between requests, possibly across app instances. */
export class TestClient {
  cookie: string | undefined;

  constructor(private app: FastifyInstance) {}

  use(app: FastifyInstance): this {
    this.app = app;
    return this;
  }

  async request(
    method: InjectOptions['method'],
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) {
    const response = await this.app.inject({
      method,
      url,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(this.cookie ? { cookie: `${COOKIE}=${this.cookie}` } : {}),
        ...headers,
      },
      ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    this.remember(response);
    return response;
  }

  post(url: string, body: unknown = {}) {
    return this.request('POST', url, body);
  }

  get(url: string) {
    return this.request('GET', url);
  }

  private remember(response: LightMyRequestResponse): void {
    // Like a browser: Set-Cookie headers apply in order, the last one for a name wins.
    const cookie = response.cookies.filter((c) => c.name === COOKIE).at(-1);
    if (!cookie) return;
    const cleared =
      cookie.value === '' || (cookie.expires && new Date(cookie.expires).getTime() <= Date.now());
    this.cookie = cleared ? undefined : cookie.value;
  }
}

let counter = 0;
export function uniqueUsername(prefix = 'user'): string {
  counter += 1;
  return `${prefix}${process.pid}x${counter}${Math.floor(Math.random() * 1e6)}`.slice(0, 32);
}

export const PASSWORD = 'correct horse battery staple';

export interface EnrolledUser {
  client: TestClient;
  username: string;
  secret: string;
  recoveryCodes: string[];
}

export function totpCode(secret: string, atMs = Date.now()): Promise<string> {
  return generate({ secret, epoch: Math.floor(atMs / 1000) });
}

/** Registers, logs in, enrols TOTP and confirms it: the user ends up authenticated. */
export async function enrolledUser(app: FastifyInstance, username = uniqueUsername()): Promise<EnrolledUser> {
  const client = new TestClient(app);
  expectStatus(await client.post('/api/v1/register', { username, password: PASSWORD }), 201);
  expectStatus(await client.post('/api/v1/login', { username, password: PASSWORD }), 200);
  const enrol = expectStatus(await client.post('/api/v1/totp/enroll'), 200).json();
  // Confirm with the previous step's code so the current step stays free for the test's own login.
  const confirm = expectStatus(
    await client.post('/api/v1/totp/confirm', { code: await totpCode(enrol.secret, Date.now() - 30_000) }),
    200,
  ).json();
  return { client, username, secret: enrol.secret, recoveryCodes: confirm.recoveryCodes };
}

export function expectStatus(response: LightMyRequestResponse, status: number): LightMyRequestResponse {
  if (response.statusCode !== status) {
    throw new Error(`expected HTTP ${status}, got ${response.statusCode}: ${response.body.slice(0, 500)}`);
  }
  return response;
}
