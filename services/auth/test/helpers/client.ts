import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { previousStepCode } from '../../../../test/support/totp-codes.ts';

export const COOKIE = 'twofold_sid';

/** A tiny browser: a cookie jar kept between requests, possibly across app instances. */
export class TestClient {
  readonly jar = new Map<string, string>();

  constructor(private app: FastifyInstance) {}

  /** The session cookie's value, if any. */
  get cookie(): string | undefined {
    return this.jar.get(COOKIE);
  }

  set cookie(value: string | undefined) {
    if (value === undefined) this.jar.delete(COOKIE);
    else this.jar.set(COOKIE, value);
  }

  /** The app (replica) this browser's requests go to now. */
  get target(): FastifyInstance {
    return this.app;
  }

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
    const cookieHeader = [...this.jar].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await this.app.inject({
      method,
      url,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(cookieHeader ? { cookie: cookieHeader } : {}),
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

  /** Like a browser: Set-Cookie headers apply in order, the last one for a name wins. */
  private remember(response: LightMyRequestResponse): void {
    for (const cookie of response.cookies) {
      const cleared =
        cookie.value === '' || (cookie.expires && new Date(cookie.expires).getTime() <= Date.now());
      if (cleared) this.jar.delete(cookie.name);
      else this.jar.set(cookie.name, cookie.value);
    }
  }
}

/** A browser's signed session cookie (`<id>.<signature>`, URL-encoded), in its two parts. */
function signedSessionCookie(client: TestClient): { id: string; signature: string } {
  const value = decodeURIComponent(client.cookie ?? '');
  const dot = value.lastIndexOf('.');
  return { id: value.slice(0, dot), signature: value.slice(dot + 1) };
}

export const sessionIdOf = (client: TestClient): string => signedSessionCookie(client).id;
export const sessionSignatureOf = (client: TestClient): string => signedSessionCookie(client).signature;

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

export { previousStepCode, totpCode } from '../../../../test/support/totp-codes.ts';

/** Registers, logs in, enrols TOTP and confirms it: the user ends up authenticated. */
export async function enrolledUser(app: FastifyInstance, username = uniqueUsername()): Promise<EnrolledUser> {
  const client = new TestClient(app);
  expectStatus(await client.post('/api/v1/register', { username, password: PASSWORD }), 201);
  expectStatus(await client.post('/api/v1/login', { username, password: PASSWORD }), 200);
  return { client, username, ...(await enrolTotp(client)) };
}

/** Enrols TOTP and confirms it from a session that must enrol: the session ends up authenticated. */
export async function enrolTotp(client: TestClient): Promise<{ secret: string; recoveryCodes: string[] }> {
  const enrol = expectStatus(await client.post('/api/v1/totp/enroll'), 200).json();
  // Confirm with the previous step's code so the current step stays free for the test's own login.
  const confirm = expectStatus(
    await client.post('/api/v1/totp/confirm', { code: await previousStepCode(enrol.secret) }),
    200,
  ).json();
  return { secret: enrol.secret, recoveryCodes: confirm.recoveryCodes };
}

export function expectStatus(response: LightMyRequestResponse, status: number): LightMyRequestResponse {
  if (response.statusCode !== status) {
    throw new Error(`expected HTTP ${status}, got ${response.statusCode}: ${response.body.slice(0, 500)}`);
  }
  return response;
}

/** A contract error: this status and this `error.code`. */
export function expectError(
  response: LightMyRequestResponse,
  status: number,
  code: string,
): LightMyRequestResponse {
  expectStatus(response, status);
  const actual = (response.json() as { error?: { code?: unknown } }).error?.code;
  if (actual !== code)
    throw new Error(`expected error ${code}, got ${String(actual)}: ${response.body.slice(0, 500)}`);
  return response;
}
