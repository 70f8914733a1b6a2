import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../../common/src/env-loader.ts';
import { generateKeySpec } from '../../../common/src/secret-box.ts';
import { loadConfig } from '../../src/config.ts';

const valid = {
  TWOFOLD_DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db',
  TWOFOLD_REDIS_URL: 'redis://127.0.0.1:6379',
  TWOFOLD_SESSION_SECRET: 'x'.repeat(32),
  TWOFOLD_ENCRYPTION_KEYS: generateKeySpec('1'),
};

const webauthn = (env: Record<string, string>) => loadConfig({ ...valid, ...env }).webauthn;

const refused = (env: Record<string, string>, message: RegExp) =>
  assert.throws(
    () => webauthn(env),
    (error: Error) => error instanceof ConfigError && message.test(error.message),
  );

describe('WebAuthn configuration', () => {
  it('is off without a public URL or origins', () => {
    assert.equal(webauthn({}), undefined);
    assert.equal(webauthn({ TWOFOLD_WEBAUTHN_RP_ID: 'twofold.example' }), undefined);
  });

  it('takes the relying party and origin from the public URL, named Twofold', () => {
    assert.deepEqual(webauthn({ TWOFOLD_PUBLIC_URL: 'https://Login.Example:8443' }), {
      rpId: 'login.example',
      rpName: 'Twofold',
      origins: ['https://login.example:8443'],
    });
    assert.deepEqual(webauthn({ TWOFOLD_PUBLIC_URL: 'https://login.example:443' })?.origins, [
      'https://login.example',
    ]);
  });

  it('offers a cluster reached at an IP address on localhost, which browsers accept', () => {
    for (const url of ['http://127.0.0.1:9080', 'http://[::1]:9080']) {
      assert.deepEqual(webauthn({ TWOFOLD_PUBLIC_URL: url }), {
        rpId: 'localhost',
        rpName: 'Twofold',
        origins: ['http://localhost:9080'],
      });
    }
  });

  it('takes explicit origins, a relying-party id and a name', () => {
    assert.deepEqual(
      webauthn({
        TWOFOLD_PUBLIC_URL: 'http://127.0.0.1:9080',
        TWOFOLD_WEBAUTHN_ORIGINS: 'http://localhost:9080, http://localhost:9081/,http://localhost:9080',
      }),
      { rpId: 'localhost', rpName: 'Twofold', origins: ['http://localhost:9080', 'http://localhost:9081'] },
    );
    assert.deepEqual(
      webauthn({
        TWOFOLD_WEBAUTHN_RP_ID: 'Example.com',
        TWOFOLD_WEBAUTHN_ORIGINS: 'https://login.example.com,https://example.com',
        TWOFOLD_WEBAUTHN_RP_NAME: 'Example Login',
      }),
      {
        rpId: 'example.com',
        rpName: 'Example Login',
        origins: ['https://login.example.com', 'https://example.com'],
      },
    );
    assert.equal(webauthn({ TWOFOLD_WEBAUTHN_ORIGINS: 'https://login.example' })?.rpId, 'login.example');
  });

  it('refuses an origin outside the relying-party domain, naming the variable', () => {
    refused(
      { TWOFOLD_PUBLIC_URL: 'https://login.example', TWOFOLD_WEBAUTHN_ORIGINS: 'https://evil.example' },
      /^TWOFOLD_WEBAUTHN_ORIGINS: https:\/\/evil\.example is not on .*login\.example/,
    );
    refused(
      { TWOFOLD_WEBAUTHN_RP_ID: 'example.com', TWOFOLD_WEBAUTHN_ORIGINS: 'https://notexample.com' },
      /^TWOFOLD_WEBAUTHN_ORIGINS: /,
    );
    refused(
      { TWOFOLD_PUBLIC_URL: 'http://127.0.0.1:9080', TWOFOLD_WEBAUTHN_ORIGINS: 'http://127.0.0.1:9080' },
      /^TWOFOLD_WEBAUTHN_ORIGINS: /,
    );
    refused({ TWOFOLD_WEBAUTHN_ORIGINS: 'http://127.0.0.1:9080' }, /^TWOFOLD_WEBAUTHN_ORIGINS: /);
  });

  it('refuses what is not an origin or not a relying-party id', () => {
    for (const bad of [
      'login.example',
      'ftp://login.example',
      'https://login.example/path',
      'https://login.example?x',
      'https://user:pw@login.example',
      'https://login.example,',
    ]) {
      refused({ TWOFOLD_WEBAUTHN_ORIGINS: bad }, /^TWOFOLD_WEBAUTHN_ORIGINS: .* is not an origin/);
    }
    for (const bad of ['127.0.0.1', 'login.example:443', 'https://login.example', '-bad.example']) {
      refused(
        { TWOFOLD_PUBLIC_URL: 'https://login.example', TWOFOLD_WEBAUTHN_RP_ID: bad },
        /^TWOFOLD_WEBAUTHN_RP_ID: invalid/,
      );
    }
    refused(
      { TWOFOLD_PUBLIC_URL: 'https://x.example', TWOFOLD_WEBAUTHN_RP_NAME: 'n'.repeat(65) },
      /^TWOFOLD_WEBAUTHN_RP_NAME: invalid/,
    );
  });
});
