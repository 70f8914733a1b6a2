import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidInputError } from '../../src/admin/applications.ts';
import {
  checkClientInput,
  checkClientRef,
  checkRedirectUri,
  newClientId,
  SCOPES,
} from '../../src/admin/oidc-clients.ts';
import { CLIENT_ID } from '../../src/repositories/oidc-clients.ts';

const refused = (run: () => unknown, message: RegExp) =>
  assert.throws(run, (error: unknown) => error instanceof InvalidInputError && message.test(error.message));

describe('OpenID Connect client input', () => {
  it('redirect URIs: https anywhere, http on a loopback host only, kept exactly as given', () => {
    for (const uri of [
      'https://app.example/callback',
      'https://app.example:8443/cb?tenant=1',
      'https://app.example',
      'http://localhost:3000/cb',
      'http://127.0.0.1/cb',
      'http://127.10.20.30:8080/cb',
      'http://[::1]:8080/cb',
      'HTTPS://App.Example/CB',
    ]) {
      assert.equal(checkRedirectUri(uri, false), uri);
    }
    for (const uri of ['http://app.example/cb', 'http://10.0.0.1/cb', 'http://localhost.evil.example/cb']) {
      refused(() => checkRedirectUri(uri, false), /http only on a loopback host/);
      refused(() => checkRedirectUri(uri, true), /http only on a loopback host/);
    }
  });

  it('redirect URIs: no fragment, no userinfo, no relative or sloppy forms, no spaces', () => {
    refused(() => checkRedirectUri('https://app.example/cb#x', false), /fragment/);
    refused(() => checkRedirectUri('https://app.example/cb#', false), /fragment/);
    refused(() => checkRedirectUri('https://user:pw@app.example/cb', false), /user:password@/);
    refused(() => checkRedirectUri('https://@app.example/cb', false), /user:password@/);
    refused(() => checkRedirectUri('https://evil.example@app.example/cb', false), /user:password@/);
    refused(() => checkRedirectUri('/callback', false), /not an absolute URL/);
    refused(() => checkRedirectUri('app.example/callback', false), /not an absolute URL/);
    refused(() => checkRedirectUri('https:app.example/cb', false), /https:\/\/host\/path/);
    refused(() => checkRedirectUri('https:///app.example/cb', false), /https:\/\/host\/path/);
    refused(() => checkRedirectUri('https:\\\\app.example/cb', false), /backslashes/);
    refused(() => checkRedirectUri('https://app.example/a b', false), /without spaces/);
    refused(() => checkRedirectUri(' https://app.example/cb', false), /without spaces/);
    refused(() => checkRedirectUri('https://app.example/\u00e9', false), /ASCII/);
    refused(() => checkRedirectUri(`https://app.example/${'a'.repeat(2000)}`, false), /at most 2000/);
  });

  it('a private-use scheme (RFC 8252) only for a public client; other schemes never', () => {
    for (const uri of ['com.example.app:/callback', 'com.example.app://callback', 'Com.Example.App:/cb']) {
      assert.equal(checkRedirectUri(uri, true), uri);
      refused(() => checkRedirectUri(uri, false), /public clients \(--public\) only/);
    }
    for (const uri of [
      'javascript:alert(1)',
      'data:text/html,x',
      'file:///etc/passwd',
      'myapp:/cb',
      'ftp://x.example/',
    ]) {
      refused(() => checkRedirectUri(uri, true), /https, http on a loopback host, or for a public client/);
    }
  });

  it('defaults: all four scopes, two_factor, RS256, confidential, no post-logout URI', () => {
    assert.deepEqual(checkClientInput({ redirectUris: ['https://app.example/cb'] }), {
      public: false,
      redirectUris: ['https://app.example/cb'],
      postLogoutRedirectUris: [],
      scopes: [...SCOPES],
      policy: 'two_factor',
      idTokenAlg: 'RS256',
    });
  });

  it('what is given, checked, duplicates dropped, scopes in their canonical order', () => {
    const checked = checkClientInput({
      redirectUris: ['https://a.example/cb', 'https://b.example/cb', 'https://a.example/cb'],
      postLogoutRedirectUris: ['com.example.app:/bye'],
      public: true,
      scopes: ['email', 'openid', 'email'],
      policy: 'one_factor',
      idTokenAlg: 'ES256',
    });
    assert.deepEqual(checked, {
      public: true,
      redirectUris: ['https://a.example/cb', 'https://b.example/cb'],
      postLogoutRedirectUris: ['com.example.app:/bye'],
      scopes: ['openid', 'email'],
      policy: 'one_factor',
      idTokenAlg: 'ES256',
    });
  });

  it('counts, scopes, policy and algorithm out of bounds are refused with what is allowed', () => {
    const many = Array.from({ length: 21 }, (_, i) => `https://app.example/cb${i}`);
    refused(() => checkClientInput({ redirectUris: [] }), /1 to 20 redirect URIs, got 0/);
    refused(() => checkClientInput({ redirectUris: many }), /1 to 20 redirect URIs, got 21/);
    refused(
      () => checkClientInput({ redirectUris: ['https://a.example/'], postLogoutRedirectUris: many }),
      /0 to 20 post-logout redirect URIs, got 21/,
    );
    refused(
      () =>
        checkClientInput({
          redirectUris: ['https://a.example/'],
          postLogoutRedirectUris: ['http://a.example/'],
        }),
      /post-logout redirect URI "http:\/\/a.example\/": http only/,
    );
    const base = { redirectUris: ['https://a.example/cb'] };
    refused(
      () => checkClientInput({ ...base, scopes: ['openid', 'address'] }),
      /scope "address": one of openid/,
    );
    refused(() => checkClientInput({ ...base, scopes: ['profile'] }), /must include openid/);
    refused(() => checkClientInput({ ...base, scopes: [] }), /must include openid/);
    refused(() => checkClientInput({ ...base, policy: 'three_factor' }), /one_factor or two_factor/);
    refused(() => checkClientInput({ ...base, idTokenAlg: 'HS256' }), /RS256 or ES256/);
    refused(() => checkClientInput({ ...base, idTokenAlg: 'none' }), /RS256 or ES256/);
  });

  it('a client is named by its name or its client_id, nothing else', () => {
    assert.equal(checkClientRef('web-app'), 'web-app');
    assert.equal(checkClientRef('AbC_-0123456789xyzXYZ1'), 'AbC_-0123456789xyzXYZ1');
    for (const ref of ['', 'Web App', 'short-ID', "x' OR 1=1", 'a\u0000b', 'A'.repeat(65)]) {
      refused(() => checkClientRef(ref), /a client name or a client_id/);
    }
  });
});

describe('OpenID Connect client ids', () => {
  // CI once failed on `twofold clients remove -qhZBII…`: the CLI read the id as an option. One id in
  // 64 started with '-'; 2,000 of them had about 31, so this fails every time on that code.
  it('never start with "-", so that the CLI takes them as they are', () => {
    const ids = Array.from({ length: 2_000 }, newClientId);
    assert.deepEqual(
      ids.filter((id) => id.startsWith('-')),
      [],
    );
    for (const id of ids) assert.match(id, CLIENT_ID);
    assert.equal(new Set(ids).size, ids.length);
  });
});
