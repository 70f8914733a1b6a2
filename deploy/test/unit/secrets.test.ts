import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { authReplicaEnv } from '../../src/auth-replica.ts';
import { pushReplicaEnv } from '../../src/push-replica.ts';
import { ensureClusterSecrets, ensureSecret } from '../../src/secrets.ts';

describe('generated secrets', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'twofold-secrets-test-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('created once with mode 600, then reused', async () => {
    const file = path.join(dir, 'secrets', 'one');
    const first = await ensureSecret(file, () => 'first-value');
    const second = await ensureSecret(file, () => 'second-value');
    assert.equal(first, 'first-value');
    assert.equal(second, 'first-value');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal((await stat(path.dirname(file))).mode & 0o777, 0o711, 'traversable, not listable');
  });

  test('cluster secrets have the formats the auth replica expects', async () => {
    const secrets = await ensureClusterSecrets(dir);
    const session = await readFile(secrets.sessionSecretFile, 'utf8');
    assert.ok(session.length >= 32);
    const keys = await readFile(secrets.encryptionKeysFile, 'utf8');
    assert.match(keys, /^1:[A-Za-z0-9+/]+=*$/);
    assert.equal(Buffer.from(keys.slice(2), 'base64').length, 32);
    assert.match(secrets.databasePassword, /^[A-Za-z0-9_-]{32}$/);
    assert.deepEqual(await ensureClusterSecrets(dir), secrets, 'a second start reuses them');
  });
});

describe('authReplicaEnv', () => {
  test('sets what the replica needs and drops inherited twins of those settings', () => {
    const saved = { ...process.env };
    process.env.TWOFOLD_SESSION_SECRET = 'inherited';
    process.env.TWOFOLD_DATABASE_URL_FILE = '/elsewhere';
    process.env.TWOFOLD_LOG_LEVEL = 'debug';
    try {
      const env = authReplicaEnv({
        dataDir: '/d',
        index: 2,
        port: 18092,
        databaseUrl: 'postgres://u:p@127.0.0.1:1/twofold',
        redisUrl: 'redis://127.0.0.1:2',
        secrets: { sessionSecretFile: '/d/s', encryptionKeysFile: '/d/k' },
      });
      assert.equal(env.TWOFOLD_PORT, '18092');
      assert.equal(env.TWOFOLD_REPLICA_NAME, 'auth-2');
      assert.equal(env.TWOFOLD_TRUST_PROXY, '127.0.0.1');
      assert.equal(env.TWOFOLD_SESSION_SECRET_FILE, '/d/s');
      assert.equal(env.TWOFOLD_SESSION_SECRET, undefined);
      assert.equal(env.TWOFOLD_DATABASE_URL_FILE, undefined);
      assert.equal(env.TWOFOLD_LOG_LEVEL, 'debug', 'other settings pass through');
    } finally {
      process.env = saved;
    }
  });

  test('Redis through the Sentinels, with WAIT for the replica, and a drain delay', () => {
    const env = authReplicaEnv({
      dataDir: '/d',
      index: 1,
      port: 18091,
      databaseUrl: 'postgres://twofold:pw@127.0.0.1:18105/twofold',
      redisUrl: 'redis://127.0.0.1:18110',
      redisSentinels: ['127.0.0.1:18112', '127.0.0.1:18113', '127.0.0.1:18114'],
      redisMasterName: 'twofold',
      secrets: { sessionSecretFile: '/d/s', encryptionKeysFile: '/d/k' },
    });
    assert.equal(env.TWOFOLD_DATABASE_URL, 'postgres://twofold:pw@127.0.0.1:18105/twofold');
    assert.equal(env.TWOFOLD_REDIS_URL, 'redis://127.0.0.1:18110');
    assert.equal(env.TWOFOLD_REDIS_SENTINELS, '127.0.0.1:18112,127.0.0.1:18113,127.0.0.1:18114');
    assert.equal(env.TWOFOLD_REDIS_MASTER_NAME, 'twofold');
    assert.equal(env.TWOFOLD_REDIS_WAIT_REPLICAS, '1');
    assert.equal(env.TWOFOLD_DRAIN_DELAY_MS, '2000');
    assert.equal(env.TWOFOLD_PUBLIC_URL, undefined, 'no public URL given, none set');
    const withUrl = authReplicaEnv({
      dataDir: '/d',
      index: 1,
      port: 18091,
      databaseUrl: 'postgres://twofold:pw@127.0.0.1:18105/twofold',
      redisUrl: 'redis://127.0.0.1:18110',
      secrets: { sessionSecretFile: '/d/s', encryptionKeysFile: '/d/k' },
      publicUrl: 'http://127.0.0.1:18080',
    });
    assert.equal(withUrl.TWOFOLD_PUBLIC_URL, 'http://127.0.0.1:18080');
  });

  test("the cluster's cookie domain wins over an inherited one; none given, none set", () => {
    const saved = { ...process.env };
    process.env.TWOFOLD_COOKIE_DOMAIN = 'inherited.example';
    try {
      const options = {
        dataDir: '/d',
        index: 1,
        port: 18091,
        databaseUrl: 'postgres://twofold:pw@127.0.0.1:18105/twofold',
        redisUrl: 'redis://127.0.0.1:18110',
        secrets: { sessionSecretFile: '/d/s', encryptionKeysFile: '/d/k' },
      };
      assert.equal(
        authReplicaEnv({ ...options, cookieDomain: 'twofold.localhost' }).TWOFOLD_COOKIE_DOMAIN,
        'twofold.localhost',
      );
      delete process.env.TWOFOLD_COOKIE_DOMAIN;
      assert.equal(authReplicaEnv(options).TWOFOLD_COOKIE_DOMAIN, undefined);
    } finally {
      process.env = saved;
    }
  });
});

describe('pushReplicaEnv', () => {
  test('the settings auth gets (HAProxy, Sentinels, WAIT 1, drain), without secrets or SMTP', () => {
    const options = {
      dataDir: '/d',
      index: 2,
      port: 18116,
      databaseUrl: 'postgres://twofold:pw@127.0.0.1:18105/twofold',
      redisUrl: 'redis://127.0.0.1:18110',
      redisSentinels: ['127.0.0.1:18112', '127.0.0.1:18113', '127.0.0.1:18114'],
      redisMasterName: 'twofold',
    };
    const env = pushReplicaEnv(options);
    assert.equal(env.TWOFOLD_HOST, '127.0.0.1');
    assert.equal(env.TWOFOLD_PORT, '18116');
    assert.equal(env.TWOFOLD_REPLICA_NAME, 'push-2');
    assert.equal(env.TWOFOLD_TRUST_PROXY, '127.0.0.1');
    assert.equal(env.TWOFOLD_DRAIN_DELAY_MS, '2000');
    const auth = authReplicaEnv({
      ...options,
      smtpPort: 18125,
      secrets: { sessionSecretFile: '/d/s', encryptionKeysFile: '/d/k' },
    });
    for (const shared of [
      'TWOFOLD_DATABASE_URL',
      'TWOFOLD_REDIS_URL',
      'TWOFOLD_REDIS_SENTINELS',
      'TWOFOLD_REDIS_MASTER_NAME',
      'TWOFOLD_REDIS_WAIT_REPLICAS',
    ]) {
      assert.ok(env[shared], shared);
      assert.equal(env[shared], auth[shared], shared);
    }
    assert.equal(auth.TWOFOLD_SMTP_PORT, '18125');
    for (const authOnly of [
      'TWOFOLD_SESSION_SECRET_FILE',
      'TWOFOLD_ENCRYPTION_KEYS_FILE',
      'TWOFOLD_SMTP_PORT',
    ])
      assert.equal(env[authOnly], undefined, authOnly);
  });
});
