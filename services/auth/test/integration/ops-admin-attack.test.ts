// Review finding: /api/v1/ops/* must ask whether THIS session proved a second factor at login, not
// whether the account has one now (or whether 2FA is required now). A password-only session, a
// session from when 2FA was optional, and a session that merely enrolled an authenticator (all it
// takes is the password) must all be refused; a login with password and second factor gets in.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildTestApp, testConfig } from '../helpers/build-app.ts';
import {
  enrolTotp,
  expectError,
  expectStatus,
  PASSWORD,
  TestClient,
  totpCode,
  uniqueUsername,
} from '../helpers/client.ts';

const OPS = ['/api/v1/ops/access', '/api/v1/ops/panels'];

async function registeredAdmin(app: FastifyInstance): Promise<string> {
  const username = uniqueUsername('adm');
  expectStatus(await new TestClient(app).post('/api/v1/register', { username, password: PASSWORD }), 201);
  const user = await app.users.findByUsernameKey(username.toLowerCase());
  await app.groups.add(user?.id as string, ['admin']);
  return username;
}

async function passwordLogin(app: FastifyInstance, username: string): Promise<TestClient> {
  const client = new TestClient(app);
  expectStatus(await client.post('/api/v1/login', { username, password: PASSWORD }), 200);
  return client;
}

async function refusedOps(client: TestClient, code = 'second_factor_required'): Promise<void> {
  for (const url of OPS) expectError(await client.get(url), 403, code);
}

/** Refused one way or the other: signed out (401), or signed in without a second factor (403). */
function refused(response: LightMyRequestResponse): void {
  const code = (response.json() as { error?: { code?: string } }).error?.code;
  assert.ok(
    (response.statusCode === 401 && code === 'unauthenticated') ||
      (response.statusCode === 403 && code === 'second_factor_required'),
    `expected a refusal, got ${response.statusCode}: ${response.body.slice(0, 200)}`,
  );
}

/** Password, then the authenticator's code: a session that proved both factors at login. */
async function twoFactorLogin(app: FastifyInstance, username: string, secret: string): Promise<TestClient> {
  const client = new TestClient(app);
  const login = expectStatus(await client.post('/api/v1/login', { username, password: PASSWORD }), 200);
  assert.equal(login.json().state, 'mfa_required');
  expectStatus(await client.post('/api/v1/login/totp', { code: await totpCode(secret) }), 200);
  return client;
}

describe('the ops API asks for a second factor proven by this session', () => {
  it('(a) 2FA optional: a password-only session stays out after TOTP is enrolled elsewhere', async (t) => {
    const app = await buildTestApp(t, await testConfig({ require2fa: false }));
    const username = await registeredAdmin(app);
    const stale = await passwordLogin(app, username);
    await refusedOps(stale);
    const other = await passwordLogin(app, username);
    const { secret } = await enrolTotp(other);
    for (const url of OPS) refused(await stale.get(url));
    // The browser that enrolled proved the password only, then set up a factor: not a login with it.
    await refusedOps(other);
    // Signing in with both factors is what opens the dashboard.
    const good = await twoFactorLogin(app, username, secret);
    for (const url of OPS) expectStatus(await good.get(url), 200);
  });

  it('(b) a session from when 2FA was optional stays out of a replica that now requires it', async (t) => {
    const config = await testConfig({ require2fa: false });
    const optional = await buildTestApp(t, config);
    const username = await registeredAdmin(optional);
    const client = await passwordLogin(optional, username);
    await refusedOps(client);
    const required = await buildTestApp(t, { ...config, require2fa: true });
    client.use(required);
    await refusedOps(client);
  });

  it('(c) whoever has only the password cannot get in by enrolling their own authenticator', async (t) => {
    for (const require2fa of [false, true]) {
      const app = await buildTestApp(t, await testConfig({ require2fa }));
      const username = await registeredAdmin(app);
      const attacker = await passwordLogin(app, username);
      await enrolTotp(attacker);
      await refusedOps(attacker);
    }
  });

  it('lets in a login with a recovery code (a second factor proven at login)', async (t) => {
    const app = await buildTestApp(t, await testConfig({ require2fa: true }));
    const username = await registeredAdmin(app);
    const { recoveryCodes } = await enrolTotp(await passwordLogin(app, username));
    const client = await passwordLogin(app, username);
    expectStatus(await client.post('/api/v1/login/recovery', { code: recoveryCodes[0] }), 200);
    for (const url of OPS) expectStatus(await client.get(url), 200);
  });
});
