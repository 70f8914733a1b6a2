import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

describe('auth configuration', () => {
  it('applies documented defaults', () => {
    const config = loadConfig(valid);
    assert.equal(config.port, 3000);
    assert.deepEqual(config.argon2, { memoryKiB: 19_456, timeCost: 2, parallelism: 1 });
    assert.equal(config.require2fa, true);
    assert.equal(config.session.cookieSecure, 'auto');
    assert.equal(config.encryptionKeys[0]?.id, '1');
    assert.equal(config.push.waitSeconds, 20, 'the push long poll answers within 20 s (README)');
    assert.deepEqual(config.loginChallenge, { maxNumber: 1_600, ttlSeconds: 300 }, 'about 1 s of CPU, 5 min');
  });

  it("takes the push long-poll wait, under the proxies' 60 s read timeout", () => {
    assert.equal(loadConfig({ ...valid, TWOFOLD_PUSH_WAIT_SECONDS: '5' }).push.waitSeconds, 5);
    for (const bad of ['0', '60', 'soon'])
      assert.throws(
        () => loadConfig({ ...valid, TWOFOLD_PUSH_WAIT_SECONDS: bad }),
        /^ConfigError: TWOFOLD_PUSH_WAIT_SECONDS: invalid/,
      );
  });

  it('link codes live ten minutes, ten tries per user; the verification API has 6000 requests per key', () => {
    const config = loadConfig(valid);
    assert.equal(config.push.linkCodeSeconds, 600);
    assert.equal(config.push.maxLinkCodeAttempts, 10);
    assert.equal(config.push.rpRateLimitMax, 6_000);
    assert.equal(config.rateLimit.max, 600, 'ten times what one address may spend');
    const set = loadConfig({
      ...valid,
      TWOFOLD_LINK_CODE_SECONDS: '120',
      TWOFOLD_MAX_LINK_CODE_ATTEMPTS: '3',
      TWOFOLD_RP_RATE_LIMIT_MAX: '100000',
    });
    assert.deepEqual(
      [set.push.linkCodeSeconds, set.push.maxLinkCodeAttempts, set.push.rpRateLimitMax],
      [120, 3, 100_000],
    );
    for (const [name, bad] of [
      ['TWOFOLD_LINK_CODE_SECONDS', '30'],
      ['TWOFOLD_LINK_CODE_SECONDS', '86400'],
      ['TWOFOLD_MAX_LINK_CODE_ATTEMPTS', '0'],
      ['TWOFOLD_RP_RATE_LIMIT_MAX', 'lots'],
    ] as const) {
      assert.throws(
        () => loadConfig({ ...valid, [name]: bad }),
        new RegExp(`^ConfigError: ${name}: invalid`),
      );
    }
  });

  it('converts numbers and booleans from strings', () => {
    const config = loadConfig({ ...valid, TWOFOLD_PORT: '8443', TWOFOLD_REQUIRE_2FA: 'false' });
    assert.equal(config.port, 8443);
    assert.equal(config.require2fa, false);
  });

  it('names the variable that is missing or wrong', () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ ...valid, TWOFOLD_DATABASE_URL: '' }, /^TWOFOLD_DATABASE_URL: missing/],
      [{ ...valid, TWOFOLD_PORT: 'eighty' }, /^TWOFOLD_PORT: invalid/],
      [{ ...valid, TWOFOLD_SESSION_SECRET: 'short' }, /^TWOFOLD_SESSION_SECRET: invalid/],
      [{ ...valid, TWOFOLD_ARGON2_MEMORY_KIB: '1024' }, /^TWOFOLD_ARGON2_MEMORY_KIB: invalid/],
      [{ ...valid, TWOFOLD_ENCRYPTION_KEYS: '1:AAAA' }, /^TWOFOLD_ENCRYPTION_KEYS: .*32 bytes/],
      [{ ...valid, TWOFOLD_REDIS_URL: 'http://x' }, /^TWOFOLD_REDIS_URL: invalid/],
      [{ ...valid, TWOFOLD_DATABASE_STANDBY_URL: 'mysql://x' }, /^TWOFOLD_DATABASE_STANDBY_URL: invalid/],
    ];
    for (const [env, message] of cases) {
      assert.throws(
        () => loadConfig(env),
        (error: Error) => error instanceof ConfigError && message.test(error.message),
      );
    }
  });

  it('takes a PostgreSQL standby for forward auth only when one is given', () => {
    assert.equal(loadConfig(valid).databaseStandbyUrl, undefined);
    const standby = 'postgres://u:p@127.0.0.1:5433/db';
    assert.equal(loadConfig({ ...valid, TWOFOLD_DATABASE_STANDBY_URL: standby }).databaseStandbyUrl, standby);
  });

  it('never echoes a secret value in its errors', () => {
    const secret = 'tooShortButSecret';
    assert.throws(
      () => loadConfig({ ...valid, TWOFOLD_SESSION_SECRET: secret }),
      (error: Error) => !error.message.includes(secret),
    );
  });

  it('takes Redis through Sentinel when sentinels are given, else one URL', () => {
    const { TWOFOLD_REDIS_URL: _, ...withoutUrl } = valid;
    const viaSentinel = loadConfig({
      ...withoutUrl,
      TWOFOLD_REDIS_SENTINELS: '127.0.0.1:26379,127.0.0.1:26380',
    });
    assert.deepEqual(viaSentinel.redis, {
      sentinels: [
        { host: '127.0.0.1', port: 26379 },
        { host: '127.0.0.1', port: 26380 },
      ],
      masterName: 'twofold',
    });
    assert.deepEqual(loadConfig(valid).redis, { url: 'redis://127.0.0.1:6379' });
    assert.throws(() => loadConfig(withoutUrl), /^ConfigError: TWOFOLD_REDIS_URL: missing/);
    assert.throws(
      () => loadConfig({ ...withoutUrl, TWOFOLD_REDIS_SENTINELS: 'nohost' }),
      /TWOFOLD_REDIS_SENTINELS: invalid/,
    );
  });

  it('logs in to Redis and the Sentinels with the credentials given', () => {
    const { TWOFOLD_REDIS_URL: _, ...withoutUrl } = valid;
    const withCredentials = loadConfig({
      ...withoutUrl,
      TWOFOLD_REDIS_SENTINELS: '127.0.0.1:26379',
      TWOFOLD_REDIS_USERNAME: 'auth',
      TWOFOLD_REDIS_PASSWORD: 'redis-pw',
      TWOFOLD_REDIS_SENTINEL_USERNAME: 'client',
      TWOFOLD_REDIS_SENTINEL_PASSWORD: 'sentinel-pw',
    });
    assert.deepEqual(withCredentials.redis, {
      sentinels: [{ host: '127.0.0.1', port: 26379 }],
      masterName: 'twofold',
      username: 'auth',
      password: 'redis-pw',
      sentinelUsername: 'client',
      sentinelPassword: 'sentinel-pw',
    });
    assert.throws(
      () => loadConfig({ ...valid, TWOFOLD_REDIS_USERNAME: 'auth' }),
      /TWOFOLD_REDIS_USERNAME: set TWOFOLD_REDIS_PASSWORD too/,
    );
  });

  it('takes a cookie domain (a host name, lower-cased) and a login URL, both unset by default', () => {
    assert.deepEqual(loadConfig(valid).applications, { cookieDomain: null, loginUrl: null });
    const config = loadConfig({
      ...valid,
      TWOFOLD_COOKIE_DOMAIN: 'Twofold.Localhost',
      TWOFOLD_LOGIN_URL: 'https://login.example:8443/login',
    });
    assert.deepEqual(config.applications, {
      cookieDomain: 'twofold.localhost',
      loginUrl: 'https://login.example:8443/login',
    });
    const bad: Array<[string, string]> = [
      ['TWOFOLD_COOKIE_DOMAIN', '.twofold.localhost'],
      ['TWOFOLD_COOKIE_DOMAIN', 'twofold.localhost:8080'],
      ['TWOFOLD_COOKIE_DOMAIN', 'http://twofold.localhost'],
      ['TWOFOLD_COOKIE_DOMAIN', 'two fold.example'],
      ['TWOFOLD_COOKIE_DOMAIN', 'twofold.localhost; Secure'],
      ['TWOFOLD_COOKIE_DOMAIN', '127.0.0.1'],
      ['TWOFOLD_COOKIE_DOMAIN', 'exämple.org'],
      ['TWOFOLD_LOGIN_URL', '/login'],
      ['TWOFOLD_LOGIN_URL', 'javascript:alert(1)'],
      ['TWOFOLD_LOGIN_URL', 'https://login.example/login?next=x'],
      ['TWOFOLD_LOGIN_URL', 'https://login.example/login#x'],
      ['TWOFOLD_LOGIN_URL', 'https://user:pw@login.example/login'],
    ];
    for (const [name, value] of bad) {
      assert.throws(
        () => loadConfig({ ...valid, [name]: value }),
        (error: Error) => error instanceof ConfigError && error.message.startsWith(`${name}: invalid`),
        `${name}=${value}`,
      );
    }
  });

  it('reads secrets from *_FILE variables', () => {
    const dir = mkdtempSync(join(tmpdir(), 'twofold-config-'));
    const file = join(dir, 'secret');
    writeFileSync(file, `${'s'.repeat(40)}\n`);
    const { TWOFOLD_SESSION_SECRET: _, ...rest } = valid;
    assert.equal(loadConfig({ ...rest, TWOFOLD_SESSION_SECRET_FILE: file }).sessionSecret, 's'.repeat(40));
    assert.throws(
      () => loadConfig({ ...rest, TWOFOLD_SESSION_SECRET_FILE: join(dir, 'absent') }),
      /TWOFOLD_SESSION_SECRET_FILE: cannot read/,
    );
    assert.throws(() => loadConfig({ ...valid, TWOFOLD_SESSION_SECRET_FILE: file }), /both set/);
  });
});
