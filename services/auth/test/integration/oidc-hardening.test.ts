// What an attacker-minded review of the provider found (issue 15): each test failed before its fix.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as oidc from 'openid-client';
import {
  authorizationRequest,
  checksOf,
  codeFlow,
  discover,
  driveLogin,
  OidcBrowser,
} from '../../../../test/support/oidc-flow.ts';
import { oauthError, REDIRECT_URI, startOidcApp } from '../helpers/oidc-app.ts';

test('the provider session does not outlive the Twofold sign-in: a later password-only sign-in gets acr pwd', async (t) => {
  const op = await startOidcApp(t);
  const strong = await op.addClient('strong');
  const weak = await op.addClient('weak', { policy: 'one_factor' });
  const strongConfig = await discover(op.issuer, strong.clientId, strong.clientSecret);
  const weakConfig = await discover(op.issuer, weak.clientId, weak.clientSecret);
  const account = await op.newAccount();
  const browser = new OidcBrowser(op.baseUrl);
  const first = await authorizationRequest(strongConfig, REDIRECT_URI);
  await driveLogin(browser, first.url.href, REDIRECT_URI, account);
  // Signed out of Twofold; someone with the password alone signs in on this browser.
  await browser.request('POST', '/api/v1/logout');
  const password = await browser.request('POST', '/api/v1/login', {
    username: account.username,
    password: account.password,
  });
  assert.equal(JSON.parse(password.text).state, 'mfa_required');
  const second = await authorizationRequest(weakConfig, REDIRECT_URI);
  const { callback } = await driveLogin(browser, second.url.href, REDIRECT_URI, account);
  const claims = (await oidc.authorizationCodeGrant(weakConfig, callback, checksOf(second))).claims();
  assert.equal(claims?.acr, 'urn:twofold:acr:pwd');
  assert.deepEqual(claims?.amr, ['pwd']);
});

test('a password change revokes what OpenID applications hold; refresh tokens are not stored in clear', async (t) => {
  const op = await startOidcApp(t);
  const { clientId, clientSecret } = await op.addClient('held');
  const config = await discover(op.issuer, clientId, clientSecret);
  const account = await op.newAccount();
  const browser = new OidcBrowser(op.baseUrl);
  const { tokens } = await codeFlow(config, browser, REDIRECT_URI, account);
  const refresh = tokens.refresh_token as string;
  const stored = await op.app.db.query(
    `SELECT 1 FROM oidc_artifacts WHERE id = $1 OR payload::text LIKE $2`,
    [refresh, `%${refresh}%`],
  );
  assert.equal(stored.rowCount, 0, 'no refresh token in clear in PostgreSQL');
  const { totpCode } = await import('../../../../test/support/totp-codes.ts');
  const changed = await browser.request('POST', '/api/v1/me/password', {
    currentPassword: account.password,
    newPassword: 'a different horse battery staple',
    code: await totpCode(account.totpSecret, Date.now() + 30_000),
  });
  assert.equal(changed.status, 204, changed.text);
  await assert.rejects(oidc.refreshTokenGrant(config, refresh), oauthError('invalid_grant'));
  const sub = tokens.claims()?.sub as string;
  await assert.rejects(oidc.fetchUserInfo(config, tokens.access_token, sub), oauthError('invalid_token'));
});

test("a client cannot introspect or revoke another client's tokens", async (t) => {
  const op = await startOidcApp(t);
  const a = await op.addClient('alpha');
  const b = await op.addClient('beta');
  const configA = await discover(op.issuer, a.clientId, a.clientSecret);
  const configB = await discover(op.issuer, b.clientId, b.clientSecret);
  const { tokens } = await codeFlow(
    configA,
    new OidcBrowser(op.baseUrl),
    REDIRECT_URI,
    await op.newAccount(),
  );
  assert.equal((await oidc.tokenIntrospection(configB, tokens.access_token)).active, false);
  await oidc.tokenRevocation(configB, tokens.refresh_token as string).catch(() => {});
  assert.equal(
    (await oidc.tokenIntrospection(configA, tokens.access_token)).active,
    true,
    'B revoked nothing',
  );
});

test('no pushed requests, no oversized requests, a budget of authorization requests per address', async (t) => {
  const op = await startOidcApp(t);
  const { clientId, clientSecret } = await op.addClient('bounded');
  const basic = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
  const par = await fetch(`${op.issuer}/request`, {
    method: 'POST',
    headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'response_type=code&scope=openid',
  });
  assert.equal(par.status, 404);
  const config = await discover(op.issuer, clientId, clientSecret);
  assert.equal(config.serverMetadata().pushed_authorization_request_endpoint, undefined);
  assert.deepEqual(config.serverMetadata().response_types_supported, ['code']);
  const long = await fetch(`${op.issuer}/auth?client_id=${clientId}&state=${'s'.repeat(5_000)}`, {
    redirect: 'manual',
  });
  assert.equal(long.status, 400);
  const url = (await authorizationRequest(config, REDIRECT_URI)).url.href;
  const statuses: number[] = [];
  for (let i = 0; i < 301; i += 1) statuses.push((await fetch(url, { redirect: 'manual' })).status);
  assert.equal(statuses.filter((s) => s === 303).length, 300);
  assert.equal(statuses.at(-1), 429);
});

test('a forged Host cannot move the endpoints discovery advertises', async (t) => {
  const op = await startOidcApp(t);
  const { request } = await import('node:http');
  const body = await new Promise<string>((resolve, reject) => {
    const req = request(`${op.issuer}/.well-known/openid-configuration`, {
      headers: { host: 'evil.example', 'x-forwarded-host': 'evil.example' },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk)).on('end', () => resolve(text));
    });
    req.on('error', reject).end();
  });
  const discovery = JSON.parse(body);
  assert.equal(discovery.token_endpoint, `${op.issuer}/token`);
  assert.doesNotMatch(body, /evil/);
});

test("a returning user's code issued at once is audited; a request from no client is not", async (t) => {
  const op = await startOidcApp(t);
  const { clientId, clientSecret } = await op.addClient('returning');
  const config = await discover(op.issuer, clientId, clientSecret);
  const browser = new OidcBrowser(op.baseUrl);
  const account = await op.newAccount();
  await driveLogin(
    browser,
    (await authorizationRequest(config, REDIRECT_URI)).url.href,
    REDIRECT_URI,
    account,
  );
  await driveLogin(
    browser,
    (await authorizationRequest(config, REDIRECT_URI)).url.href,
    REDIRECT_URI,
    account,
  );
  const user = await op.app.users.findByUsernameKey(account.username.toLowerCase());
  const rows = await op.app.db.query(
    `SELECT 1 FROM audit_events WHERE user_id = $1 AND step = 'oidc-authorize' AND result = 'success'`,
    [user?.id],
  );
  assert.equal(rows.rowCount, 2);
  const before = await op.app.db.query(
    `SELECT count(*)::int AS n FROM audit_events WHERE step LIKE 'oidc-%'`,
  );
  for (let i = 0; i < 5; i += 1)
    await fetch(`${op.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=authorization_code&code=x',
    });
  const after = await op.app.db.query(`SELECT count(*)::int AS n FROM audit_events WHERE step LIKE 'oidc-%'`);
  assert.equal(after.rows[0]?.n, before.rows[0]?.n);
});
