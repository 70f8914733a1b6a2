import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { rotateSigningKeys } from '../../../../deploy/src/signing-key-rotation.ts';
import {
  authorizationRequest,
  checksOf,
  discover,
  driveLogin,
  OidcBrowser,
} from '../../../../test/support/oidc-flow.ts';
import { oauthError, REDIRECT_URI, startOidcApp } from '../helpers/oidc-app.ts';

test('an unregistered redirect URI gets an error page, never a redirect', async (t) => {
  const op = await startOidcApp(t);
  const { clientId, clientSecret } = await op.addClient('strict');
  const config = await discover(op.issuer, clientId, clientSecret);
  for (const redirect of [
    'http://127.0.0.1:5999/elsewhere',
    'https://evil.example/callback',
    'http://127.0.0.1:5999/callback?x=1',
  ]) {
    const pending = await authorizationRequest(config, redirect);
    const hop = await new OidcBrowser(op.baseUrl).request('GET', pending.url.href);
    assert.equal(hop.status, 400, redirect);
    assert.equal(hop.location, undefined);
    assert.match(hop.text, /data-code="invalid_redirect_uri"/);
  }
});

test('a code works once: a second use is refused and revokes what the first gave', async (t) => {
  const op = await startOidcApp(t);
  const { clientId, clientSecret } = await op.addClient('once');
  const config = await discover(op.issuer, clientId, clientSecret);
  const pending = await authorizationRequest(config, REDIRECT_URI);
  const { callback } = await driveLogin(
    new OidcBrowser(op.baseUrl),
    pending.url.href,
    REDIRECT_URI,
    await op.newAccount(),
  );
  const checks = checksOf(pending);
  const tokens = await oidc.authorizationCodeGrant(config, callback, checks);
  await assert.rejects(oidc.authorizationCodeGrant(config, callback, checks), oauthError('invalid_grant'));
  const claims = tokens.claims();
  await assert.rejects(
    oidc.fetchUserInfo(config, tokens.access_token, claims?.sub as string),
    oauthError('invalid_token'),
  );
  await assert.rejects(
    oidc.refreshTokenGrant(config, tokens.refresh_token as string),
    oauthError('invalid_grant'),
  );
});

test('a code is refused to another client, and a wrong PKCE verifier or client secret too', async (t) => {
  const op = await startOidcApp(t);
  const first = await op.addClient('first');
  const second = await op.addClient('second');
  const config = await discover(op.issuer, first.clientId, first.clientSecret);
  const other = await discover(op.issuer, second.clientId, second.clientSecret);
  const wrongSecret = await discover(op.issuer, first.clientId, 'not-the-secret');
  const pending = await authorizationRequest(config, REDIRECT_URI);
  const { callback } = await driveLogin(
    new OidcBrowser(op.baseUrl),
    pending.url.href,
    REDIRECT_URI,
    await op.newAccount(),
  );
  const checks = checksOf(pending);
  await assert.rejects(oidc.authorizationCodeGrant(other, callback, checks), oauthError('invalid_grant'));
  await assert.rejects(
    oidc.authorizationCodeGrant(wrongSecret, callback, checks),
    oauthError('invalid_client'),
  );
  await assert.rejects(
    oidc.authorizationCodeGrant(config, callback, {
      ...checks,
      pkceCodeVerifier: oidc.randomPKCECodeVerifier(),
    }),
    oauthError('invalid_grant'),
  );
});

test('a public client must use PKCE: a request without it goes back with invalid_request', async (t) => {
  const op = await startOidcApp(t);
  const { clientId, clientSecret } = await op.addClient('spa', { public: true });
  assert.equal(clientSecret, undefined);
  const config = await discover(op.issuer, clientId);
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: 'openid',
    state: 'st',
  });
  const hop = await new OidcBrowser(op.baseUrl).request('GET', url.href);
  assert.equal(hop.status, 303);
  const back = new URL(hop.location as string);
  assert.equal(`${back.origin}${back.pathname}`, REDIRECT_URI);
  assert.equal(back.searchParams.get('error'), 'invalid_request');
  assert.match(back.searchParams.get('error_description') ?? '', /PKCE/);

  // With PKCE the public client signs in, and its tokens are its own.
  const pending = await authorizationRequest(config, REDIRECT_URI);
  const { callback } = await driveLogin(
    new OidcBrowser(op.baseUrl),
    pending.url.href,
    REDIRECT_URI,
    await op.newAccount(),
  );
  const tokens = await oidc.authorizationCodeGrant(config, callback, checksOf(pending));
  assert.ok(tokens.id_token);
});

test('denying consent sends the user back with access_denied', async (t) => {
  const op = await startOidcApp(t);
  const { clientId, clientSecret } = await op.addClient('denied');
  const config = await discover(op.issuer, clientId, clientSecret);
  const browser = new OidcBrowser(op.baseUrl);
  const pending = await authorizationRequest(config, REDIRECT_URI);
  let consentPage: string | undefined;
  await assert.rejects(
    driveLogin(browser, pending.url.href, REDIRECT_URI, await op.newAccount(), async (hop) => {
      if (hop.status === 200) {
        consentPage = new URL(hop.url).pathname;
        throw new Error('at consent');
      }
    }),
    /at consent/,
  );
  assert.ok(consentPage);
  const details = await browser.request('GET', `${consentPage}/details`);
  assert.equal(details.status, 200);
  assert.deepEqual(JSON.parse(details.text).scopes, ['openid', 'profile', 'email', 'offline_access']);
  // Another browser (another Twofold session) cannot answer this user's consent.
  const stranger = await new OidcBrowser(op.baseUrl).request('POST', `${consentPage}/confirm`);
  assert.equal(stranger.status, 400, 'without the interaction cookie the request is unknown');
  const denied = await browser.request('POST', `${consentPage}/abort`);
  assert.equal(denied.status, 200);
  const resume = await browser.request('GET', JSON.parse(denied.text).location);
  const back = new URL(resume.location as string);
  assert.equal(back.searchParams.get('error'), 'access_denied');
});

test('signing keys rotate online: old tokens verify during the overlap, not after; new ones use the new key', async (t) => {
  const op = await startOidcApp(t);
  const { clientId, clientSecret } = await op.addClient('rotating');
  const config = await discover(op.issuer, clientId, clientSecret);
  const browser = new OidcBrowser(op.baseUrl);
  const login = async () => {
    const pending = await authorizationRequest(config, REDIRECT_URI);
    const account = await op.newAccount();
    const { callback } = await driveLogin(browser, pending.url.href, REDIRECT_URI, account);
    return oidc.authorizationCodeGrant(config, callback, checksOf(pending));
  };
  const before = await login();
  const oldKid = decodeProtectedHeader(before.id_token as string).kid;

  const keysFile = path.join(tmpdir(), `twofold-oidc-ring-${process.pid}-${Date.now()}`);
  const ring = op.config.encryptionKeys.map((key) => `${key.id}:${key.key.toString('base64')}`).join(',');
  await writeFile(keysFile, `${ring}\n`, { mode: 0o600 });
  const lines: string[] = [];
  const { retired } = await rotateSigningKeys({
    keysFile,
    authUrls: [op.baseUrl],
    databaseUrl: op.config.databaseUrl,
    overlapSeconds: 2,
    log: (line) => lines.push(line),
  });
  assert.ok(retired.includes(oldKid as string), `retired ${retired.join(',')}`);
  assert.equal(lines.length, 2, lines.join('\n'));

  const jwks = createRemoteJWKSet(new URL(`${op.issuer}/jwks`), { cacheMaxAge: 0, cooldownDuration: 0 });
  await jwtVerify(before.id_token as string, jwks, { issuer: op.issuer, audience: clientId });
  const after = await login();
  const newKid = decodeProtectedHeader(after.id_token as string).kid;
  assert.notEqual(newKid, oldKid);

  // Past the overlap (and a key poll), the retired key is gone: its tokens no longer verify, and
  // the provider itself refuses one as an id_token_hint.
  await new Promise((resolve) => setTimeout(resolve, 3_500));
  const fresh = createRemoteJWKSet(new URL(`${op.issuer}/jwks`), { cacheMaxAge: 0, cooldownDuration: 0 });
  await assert.rejects(
    jwtVerify(before.id_token as string, fresh, { issuer: op.issuer }),
    /no applicable key|JWKSNoMatchingKey/,
  );
  await jwtVerify(after.id_token as string, fresh, { issuer: op.issuer, audience: clientId });
  const end = oidc.buildEndSessionUrl(config, { id_token_hint: before.id_token as string });
  const refused = await browser.request('GET', end.href);
  assert.equal(refused.status, 400);
  assert.match(refused.text, /id_token_hint/);
});

test('Redis gone in the middle of a sign-in: the interaction answers 503 (retry), never a 500', async (t) => {
  const op = await startOidcApp(t);
  const { clientId, clientSecret } = await op.addClient('outage');
  const config = await discover(op.issuer, clientId, clientSecret);
  const browser = new OidcBrowser(op.baseUrl);
  const pending = await authorizationRequest(config, REDIRECT_URI);
  const start = await browser.request('GET', pending.url.href);
  assert.equal(start.status, 303);
  op.app.redis.disconnect(false);
  for (const [method, suffix] of [
    ['GET', ''],
    ['GET', '/details'],
    ['POST', '/confirm'],
  ] as const) {
    const answer = await browser.request(method, `${new URL(start.location as string).pathname}${suffix}`);
    assert.equal(answer.status, 503, `${method} interaction${suffix}: ${answer.text}`);
    assert.equal(JSON.parse(answer.text).error.code, 'service_unavailable');
  }
});

test('`twofold keys rotate` re-seals the signing keys: they open under the new key alone', async (t) => {
  const op = await startOidcApp(t);
  const { generateKeySpec, parseKeyRing, SecretBox } = await import('../../../common/src/secret-box.ts');
  const { reencryptSigningKeys } = await import('../../src/admin/reencrypt.ts');
  const { OidcSigningKeysRepository } = await import('../../src/repositories/oidc-signing-keys.ts');
  const { publishedKeys } = await import('../../src/oidc/signing-keys.ts');
  const fresh = parseKeyRing(generateKeySpec('9'));
  const keys = new OidcSigningKeysRepository(op.app.db);
  const report = await reencryptSigningKeys(keys, new SecretBox([...fresh, ...op.config.encryptionKeys]));
  assert.deepEqual(report, { reencrypted: 2, unreadable: [] });
  const { jwks } = await publishedKeys(keys, new SecretBox(fresh), op.app.log);
  assert.equal(jwks.length, 2, 'both keys open under the new key alone');
});
