import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as oidc from 'openid-client';
import {
  authorizationRequest,
  checksOf,
  discover,
  driveLogin,
  OidcBrowser,
} from '../../../../test/support/oidc-flow.ts';
import { oauthError, REDIRECT_URI, startOidcApp } from '../helpers/oidc-app.ts';

test('discovery, the code flow with PKCE, userinfo, refresh rotation and logout, with openid-client', async (t) => {
  const op = await startOidcApp(t);
  const { clientId, clientSecret } = await op.addClient('portal');
  const config = await discover(op.issuer, clientId, clientSecret);
  const server = config.serverMetadata();
  assert.equal(server.issuer, op.issuer);
  assert.deepEqual(server.code_challenge_methods_supported, ['S256']);
  const jwks = (await (await fetch(server.jwks_uri as string)).json()) as {
    keys: Array<{ alg: string; d?: string }>;
  };
  assert.deepEqual(jwks.keys.map((key) => key.alg).sort(), ['ES256', 'RS256']);
  assert.ok(
    jwks.keys.every((key) => key.d === undefined),
    'the JWKS holds no private part',
  );

  const account = await op.newAccount();
  const browser = new OidcBrowser(op.baseUrl);
  const pending = await authorizationRequest(config, REDIRECT_URI);
  const { callback, hops } = await driveLogin(browser, pending.url.href, REDIRECT_URI, account);
  assert.ok(
    hops.some((hop) => hop.location?.includes('/login?rd=')),
    'the login pages were the interaction',
  );
  assert.ok(
    hops.some((hop) => hop.status === 200),
    'consent was asked on first use',
  );

  const tokens = await oidc.authorizationCodeGrant(config, callback, checksOf(pending));
  const claims = tokens.claims();
  assert.ok(claims);
  const user = await op.app.users.findByUsernameKey(account.username.toLowerCase());
  assert.equal(claims.sub, user?.id);
  assert.deepEqual(claims.amr, ['pwd', 'otp', 'mfa']);
  assert.equal(claims.acr, 'urn:twofold:acr:mfa');
  const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
  assert.equal(info.preferred_username, account.username);

  // A second sign-in in the same browser: no login, no consent (remembered).
  const again = await authorizationRequest(config, REDIRECT_URI);
  const second = await driveLogin(browser, again.url.href, REDIRECT_URI, account);
  assert.ok(second.hops.every((hop) => hop.status !== 200 && !hop.location?.includes('/login')));
  const tokens2 = await oidc.authorizationCodeGrant(config, second.callback, checksOf(again));

  // Rotation: each refresh spends the token it used; a spent one coming back revokes the family
  // (the grant, which the second sign-in shared).
  assert.ok(tokens.refresh_token);
  const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token);
  assert.ok(refreshed.refresh_token && refreshed.refresh_token !== tokens.refresh_token);
  await assert.rejects(oidc.refreshTokenGrant(config, tokens.refresh_token), oauthError('invalid_grant'));
  await assert.rejects(oidc.refreshTokenGrant(config, refreshed.refresh_token), oauthError('invalid_grant'));
  await assert.rejects(
    oidc.fetchUserInfo(config, refreshed.access_token, claims.sub),
    oauthError('invalid_token'),
  );

  // Logout: the provider's confirmation, then back to the application, signed out of Twofold too.
  const end = oidc.buildEndSessionUrl(config, {
    id_token_hint: tokens2.id_token as string,
    post_logout_redirect_uri: 'http://127.0.0.1:5999/',
  });
  const page = await browser.request('GET', end.href);
  assert.equal(page.status, 200);
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(page.text)?.[1];
  assert.ok(xsrf, 'the logout page carries its anti-forgery token');
  const confirm = await fetch(new URL('/oidc/session/end/confirm', op.baseUrl), {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: browser.jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ xsrf, logout: 'yes' }),
  });
  assert.equal(confirm.status, 303);
  assert.equal(confirm.headers.get('location'), 'http://127.0.0.1:5999/');
  const session = await browser.request('GET', '/api/v1/session');
  assert.equal(session.status, 401, 'the Twofold session ended with the OpenID one');

  const audit = await op.app.db.query<{ step: string; result: string }>(
    `SELECT step, result FROM audit_events WHERE user_id = $1 AND step LIKE 'oidc-%'`,
    [user?.id],
  );
  const steps = audit.rows.map((row) => `${row.step}:${row.result}`);
  assert.ok(steps.filter((step) => step === 'oidc-token:success').length >= 3, steps.join(' '));
  assert.ok(steps.includes('oidc-token:failure'), 'the reused refresh token is audited');
  const metrics = await op.app.metrics.registry.getSingleMetricAsString('twofold_oidc_events_total');
  assert.match(metrics, /twofold_oidc_events_total\{step="oidc-token",result="success"[^}]*\} [3-9]/);
});
