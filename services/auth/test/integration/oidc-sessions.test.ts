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
  signIn,
} from '../../../../test/support/oidc-flow.ts';
import { totpCode } from '../../../../test/support/totp-codes.ts';
import { oauthError, REDIRECT_URI, startOidcApp } from '../helpers/oidc-app.ts';

test("another user signing in to Twofold in the same browser gets their own tokens, never the first user's", async (t) => {
  const op = await startOidcApp(t);
  const { clientId, clientSecret } = await op.addClient('shared-pc');
  const config = await discover(op.issuer, clientId, clientSecret);
  const browser = new OidcBrowser(op.baseUrl);
  const alice = await op.newAccount();
  const bob = await op.newAccount();
  const first = await authorizationRequest(config, REDIRECT_URI);
  const a = await driveLogin(browser, first.url.href, REDIRECT_URI, alice);
  const aliceTokens = await oidc.authorizationCodeGrant(config, a.callback, checksOf(first));

  // Alice signs out of Twofold (not of the provider); Bob signs in on the same browser.
  assert.equal((await browser.request('POST', '/api/v1/logout')).status, 204);
  await signIn(browser, bob);
  const second = await authorizationRequest(config, REDIRECT_URI);
  const b = await driveLogin(browser, second.url.href, REDIRECT_URI, bob);
  const bobTokens = await oidc.authorizationCodeGrant(config, b.callback, checksOf(second));
  const bobUser = await op.app.users.findByUsernameKey(bob.username.toLowerCase());
  assert.equal(bobTokens.claims()?.sub, bobUser?.id);
  assert.notEqual(bobTokens.claims()?.sub, aliceTokens.claims()?.sub);
  assert.ok(
    b.hops.some((hop) => hop.status === 200),
    'Bob is asked for his own consent',
  );
  // The provider signed Alice's session out by itself; Bob's Twofold session stays.
  const session = await browser.request('GET', '/api/v1/session');
  assert.equal(JSON.parse(session.text).user.username, bob.username);
});

test('a session that proved only the password is sent to sign in again with both factors', async (t) => {
  const op = await startOidcApp(t);
  const { clientId, clientSecret } = await op.addClient('strong');
  const config = await discover(op.issuer, clientId, clientSecret);
  const account = await op.newAccount();
  const browser = new OidcBrowser(op.baseUrl);
  // The password alone: the session waits for the second factor.
  const password = await browser.request('POST', '/api/v1/login', {
    username: account.username,
    password: account.password,
  });
  assert.equal(JSON.parse(password.text).state, 'mfa_required');
  const pending = await authorizationRequest(config, REDIRECT_URI);
  const start = await browser.request('GET', pending.url.href);
  const interaction = await browser.request('GET', start.location as string);
  assert.equal(interaction.status, 303);
  assert.match(interaction.location as string, /\/login\?rd=%2Foidc%2Finteraction%2F/);
  const { callback } = await driveLogin(browser, start.location as string, REDIRECT_URI, account);
  const tokens = await oidc.authorizationCodeGrant(config, callback, checksOf(pending));
  assert.deepEqual(tokens.claims()?.amr, ['pwd', 'otp', 'mfa']);
});

test('a one_factor client accepts the password alone and says so in acr and amr', async (t) => {
  const op = await startOidcApp(t);
  const { clientId, clientSecret } = await op.addClient('wiki', { policy: 'one_factor' });
  const config = await discover(op.issuer, clientId, clientSecret);
  const account = await op.newAccount();
  const browser = new OidcBrowser(op.baseUrl);
  await browser.request('POST', '/api/v1/login', { username: account.username, password: account.password });
  const pending = await authorizationRequest(config, REDIRECT_URI);
  const { callback, hops } = await driveLogin(browser, pending.url.href, REDIRECT_URI, account);
  assert.ok(
    hops.every((hop) => !hop.location?.includes('/login?')),
    'no second factor asked',
  );
  const claims = (await oidc.authorizationCodeGrant(config, callback, checksOf(pending))).claims();
  assert.deepEqual(claims?.amr, ['pwd']);
  assert.equal(claims?.acr, 'urn:twofold:acr:pwd');
});

test('prompt=none without a Twofold sign-in answers login_required; prompt=login asks again', async (t) => {
  const op = await startOidcApp(t);
  const { clientId, clientSecret } = await op.addClient('silent');
  const config = await discover(op.issuer, clientId, clientSecret);
  const browser = new OidcBrowser(op.baseUrl);
  const silent = await authorizationRequest(config, REDIRECT_URI, { prompt: 'none' });
  const hop = await browser.request('GET', silent.url.href);
  assert.equal(new URL(hop.location as string).searchParams.get('error'), 'login_required');

  const account = await op.newAccount();
  const first = await authorizationRequest(config, REDIRECT_URI);
  await driveLogin(browser, first.url.href, REDIRECT_URI, account);
  const again = await authorizationRequest(config, REDIRECT_URI, { prompt: 'login' });
  const start = await browser.request('GET', again.url.href);
  const interaction = await browser.request('GET', start.location as string);
  assert.match(
    interaction.location as string,
    /\/login\?reason=reauth&rd=/,
    'prompt=login sends the user to sign in again',
  );
  // Not by ending the session: a link on any site to prompt=login must not sign the user out.
  assert.equal((await browser.request('GET', '/api/v1/session')).status, 200);
  // This step's code is spent: the next step's (one step of clock skew is allowed).
  await browser.request('POST', '/api/v1/login', { username: account.username, password: account.password });
  const code = await browser.request('POST', '/api/v1/login/totp', {
    code: await totpCode(account.totpSecret, Date.now() + 30_000),
  });
  assert.equal(code.status, 200, code.text);
  const { callback } = await driveLogin(browser, start.location as string, REDIRECT_URI, account);
  const claims = (await oidc.authorizationCodeGrant(config, callback, checksOf(again))).claims();
  assert.ok((claims?.auth_time as number) >= Math.floor(Date.now() / 1000) - 5);
});

test('revocation and introspection for confidential clients; removing a client ends its tokens', async (t) => {
  const op = await startOidcApp(t);
  const { clientId, clientSecret } = await op.addClient('api');
  const config = await discover(op.issuer, clientId, clientSecret);
  const { tokens } = await codeFlow(config, new OidcBrowser(op.baseUrl), REDIRECT_URI, await op.newAccount());
  const active = await oidc.tokenIntrospection(config, tokens.access_token);
  assert.equal(active.active, true);
  assert.equal(active.client_id, clientId);
  await oidc.tokenRevocation(config, tokens.refresh_token as string);
  await assert.rejects(
    oidc.refreshTokenGrant(config, tokens.refresh_token as string),
    oauthError('invalid_grant'),
  );
  await oidc.tokenRevocation(config, tokens.access_token);
  assert.equal((await oidc.tokenIntrospection(config, tokens.access_token)).active, false);

  const pending2 = await authorizationRequest(config, REDIRECT_URI);
  const second = await driveLogin(
    new OidcBrowser(op.baseUrl),
    pending2.url.href,
    REDIRECT_URI,
    await op.newAccount(),
  );
  const tokens2 = await oidc.authorizationCodeGrant(config, second.callback, checksOf(pending2));
  const { OidcClientsRepository } = await import('../../src/repositories/oidc-clients.ts');
  assert.equal(await new OidcClientsRepository(op.app.db).remove(clientId), true);
  await assert.rejects(
    oidc.refreshTokenGrant(config, tokens2.refresh_token as string),
    oauthError('invalid_client'),
  );
  await assert.rejects(
    oidc.fetchUserInfo(config, tokens2.access_token, tokens2.claims()?.sub as string),
    oauthError('invalid_token'),
  );
});

test('two redemptions of one code at once: one gets tokens, the other invalid_grant', async (t) => {
  const op = await startOidcApp(t);
  const { clientId, clientSecret } = await op.addClient('racer');
  const config = await discover(op.issuer, clientId, clientSecret);
  const pending = await authorizationRequest(config, REDIRECT_URI);
  const { callback } = await driveLogin(
    new OidcBrowser(op.baseUrl),
    pending.url.href,
    REDIRECT_URI,
    await op.newAccount(),
  );
  const results = await Promise.allSettled(
    Array.from({ length: 6 }, () => oidc.authorizationCodeGrant(config, callback, checksOf(pending))),
  );
  assert.equal(
    results.filter((r) => r.status === 'fulfilled').length,
    1,
    JSON.stringify(results.map((r) => r.status)),
  );
});
