import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../../common/src/env-loader.ts';
import { oidcConfigFrom } from '../../src/config-oidc.ts';
import { ACR_MFA, ACR_PASSWORD, loginResult, meetsPolicy, signInOf } from '../../src/oidc/sign-in.ts';

const defaults = { TWOFOLD_OIDC_KEY_POLL_SECONDS: 5 };

test('the issuer is the public URL followed by /oidc, or set; anything else at another path is refused', () => {
  assert.equal(oidcConfigFrom({ ...defaults }), undefined);
  assert.equal(
    oidcConfigFrom({ ...defaults, TWOFOLD_PUBLIC_URL: 'http://127.0.0.1:9080' })?.issuer,
    'http://127.0.0.1:9080/oidc',
  );
  assert.equal(
    oidcConfigFrom({ ...defaults, TWOFOLD_OIDC_ISSUER: 'https://id.example.com/oidc' })?.issuer,
    'https://id.example.com/oidc',
  );
  for (const bad of [
    'https://id.example.com',
    'https://id.example.com/oidc/',
    'ftp://x/oidc',
    'https://u@x/oidc',
    'not a url',
    'https://x/oidc?a=1',
  ])
    assert.throws(() => oidcConfigFrom({ ...defaults, TWOFOLD_OIDC_ISSUER: bad }), ConfigError, bad);
});

test('what the provider learns of a Twofold session: amr, acr and the time of the last factor', () => {
  assert.equal(signInOf(undefined), undefined);
  assert.equal(signInOf({ username: 'a', state: 'authenticated' }), undefined, 'no user id');
  const both = signInOf({
    userId: 'u',
    username: 'a',
    state: 'authenticated',
    secondFactorAt: 1_700_000_000_500,
    amr: ['pwd', 'otp'],
  });
  assert.deepEqual(both, {
    userId: 'u',
    username: 'a',
    state: 'authenticated',
    amr: ['pwd', 'otp', 'mfa'],
    authTime: 1_700_000_000,
    provenAt: 1_700_000_000_500,
    secondFactor: true,
  });
  // The last step proven, when the session says (the password step of a returning user, too).
  assert.equal(
    signInOf({ userId: 'u', username: 'a', state: 'password_verified', createdAt: 1, provenAt: 9_000 })
      ?.authTime,
    9,
  );
  assert.equal(loginResult(both as NonNullable<typeof both>).acr, ACR_MFA);
  const passkey = signInOf({
    userId: 'u',
    username: 'a',
    state: 'authenticated',
    secondFactorAt: 1,
    amr: ['hwk', 'mfa'],
  });
  assert.deepEqual(passkey?.amr, ['hwk', 'mfa']);
  // Authenticated by enrolling (no factor proven at the login), or at the password step only.
  const enrolled = signInOf({ userId: 'u', username: 'a', state: 'authenticated', createdAt: 2_000 });
  assert.deepEqual(enrolled?.amr, ['pwd']);
  assert.equal(enrolled?.authTime, 2);
  assert.equal(loginResult(enrolled as NonNullable<typeof enrolled>).acr, ACR_PASSWORD);
  const halfway = signInOf({ userId: 'u', username: 'a', state: 'password_verified', createdAt: 2_000 });
  for (const [signIn, policy, expected] of [
    [both, 'two_factor', true],
    [both, 'one_factor', true],
    [enrolled, 'two_factor', false],
    [halfway, 'two_factor', false],
    [halfway, 'one_factor', true],
    [undefined, 'one_factor', false],
  ] as const)
    assert.equal(meetsPolicy(signIn, policy), expected, `${signIn?.state} ${policy}`);
});
