// redis-start.sh and sentinel-start.sh, run here with stand-ins for redis-cli (the Sentinels' answer)
// and for the servers, in a temporary directory: the config each writes holds the ACL users of
// deploy/src/redis-acl.ts with these passwords' hashes, the Sentinel users of sentinel-config.ts,
// and the role the Sentinels (or the last config, or the StatefulSet's order) give the member.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { redisAclLines } from '../../../deploy/src/redis-acl.ts';
import {
  REDIS_USERS,
  type RedisSecrets,
  type RedisUser,
  randomPassword,
} from '../../../deploy/src/secrets.ts';
import { renderSentinelConfig } from '../../../deploy/src/sentinel-config.ts';
import { REDIS_KEY_PREFIX } from '../../render-generated.ts';
import { k8sDir } from '../helpers/render.ts';

const redisDir = path.join(k8sDir, 'base', 'redis');
const SENTINELS = ['0', '1', '2'].map((i) => `twofold-sentinel-${i}.twofold-sentinel:26379`).join(',');

let work: string;
const passwords = Object.fromEntries(REDIS_USERS.map((u) => [u, randomPassword()])) as Record<
  RedisUser,
  string
>;
const sentinelPasswords = { admin: randomPassword(), client: randomPassword(), monitor: randomPassword() };

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'twofold-redis-scripts-'));
  await mkdir(path.join(work, 'secrets', 'redis-users'), { recursive: true });
  await mkdir(path.join(work, 'secrets', 'sentinel-users'), { recursive: true });
  // As a Secret volume shows them: one file per key (a trailing newline is tolerated).
  for (const [user, password] of Object.entries(passwords))
    await writeFile(path.join(work, 'secrets', 'redis-users', user), `${password}\n`);
  for (const [user, password] of Object.entries(sentinelPasswords))
    await writeFile(path.join(work, 'secrets', 'sentinel-users', user), password);
  // redis-cli: the Sentinels' answer to get-master-addr-by-name, or none (STUB_MASTER unset).
  await mkdir(path.join(work, 'bin'));
  await writeFile(
    path.join(work, 'bin', 'redis-cli'),
    '#!/bin/sh\nif [ -n "$STUB_MASTER" ]; then printf "%s\\n6379\\n" "$STUB_MASTER"; else exit 1; fi\n',
  );
  await chmod(path.join(work, 'bin', 'redis-cli'), 0o755);
});

after(async () => {
  await rm(work, { recursive: true, force: true });
});

async function run(
  script: 'redis-start.sh' | 'sentinel-start.sh',
  pod: string,
  data: string,
  extra: NodeJS.ProcessEnv = {},
): Promise<string> {
  await mkdir(data, { recursive: true });
  const env = {
    PATH: `${path.join(work, 'bin')}:${process.env.PATH}`,
    POD_NAME: pod,
    REDIS_STATEFULSET: 'twofold-redis',
    REDIS_SERVICE: 'twofold-redis',
    SENTINEL_SERVICE: 'twofold-sentinel',
    SENTINELS,
    TEMPLATE_DIR: path.join(redisDir, 'generated'),
    DATA_DIR: data,
    SECRETS_DIR: path.join(work, 'secrets'),
    REDIS_SERVER: 'true',
    REDIS_SENTINEL: 'true',
    RESOLVE_WAIT_SECONDS: '0',
    ...extra,
  };
  await new Promise<void>((resolve, reject) => {
    execFile('sh', [path.join(redisDir, script)], { env, timeout: 30_000 }, (error, _stdout, stderr) =>
      error ? reject(new Error(`${script} failed: ${stderr || error.message}`)) : resolve(),
    );
  });
  return readFile(path.join(data, script === 'redis-start.sh' ? 'redis.conf' : 'sentinel.conf'), 'utf8');
}

const lines = (text: string, prefix: string) => text.split('\n').filter((line) => line.startsWith(prefix));
const acl: RedisSecrets = { passwords, files: passwords, sentinelPasswords };

describe('redis-start.sh', () => {
  test('the first member starts as master with the ACL users of redis-acl.ts', async () => {
    const conf = await run('redis-start.sh', 'twofold-redis-0', path.join(work, 'redis-0'));
    assert.doesNotMatch(conf, /@@[A-Za-z_]+@@/, 'a placeholder was left');
    assert.deepEqual(lines(conf, 'user '), redisAclLines(acl, REDIS_KEY_PREFIX));
    assert.deepEqual(lines(conf, 'replicaof '), []);
    assert.deepEqual(lines(conf, 'masterauth '), [`masterauth ${passwords.replication}`]);
    assert.deepEqual(lines(conf, 'replica-announce-ip '), [
      'replica-announce-ip twofold-redis-0.twofold-redis',
    ]);
    assert.deepEqual(lines(conf, 'dir '), [`dir "${path.join(work, 'redis-0')}"`]);
    assert.doesNotMatch(conf, new RegExp(passwords.auth), 'a client password in clear');
  });

  test('the second member replicates the first; later, whoever the Sentinels name', async () => {
    const data = path.join(work, 'redis-1');
    assert.deepEqual(lines(await run('redis-start.sh', 'twofold-redis-1', data), 'replicaof '), [
      'replicaof twofold-redis-0.twofold-redis 6379',
    ]);
    // The Sentinels promoted redis-1: it starts as master, and redis-0 as its replica.
    const extra = { STUB_MASTER: 'twofold-redis-1.twofold-redis' };
    assert.deepEqual(lines(await run('redis-start.sh', 'twofold-redis-1', data, extra), 'replicaof '), []);
    const zero = await run('redis-start.sh', 'twofold-redis-0', path.join(work, 'redis-0'), extra);
    assert.deepEqual(lines(zero, 'replicaof '), ['replicaof twofold-redis-1.twofold-redis 6379']);
    // No Sentinel answers: redis-0 keeps the role its last config had.
    const again = await run('redis-start.sh', 'twofold-redis-0', path.join(work, 'redis-0'));
    assert.deepEqual(lines(again, 'replicaof '), ['replicaof twofold-redis-1.twofold-redis 6379']);
  });

  test('the memory limit and a refused password', async () => {
    const conf = await run('redis-start.sh', 'twofold-redis-0', path.join(work, 'redis-m'), {
      REDIS_MAXMEMORY: '96mb',
    });
    assert.deepEqual(lines(conf, 'maxmemory '), ['maxmemory 96mb']);
    const secrets = path.join(work, 'bad-secrets');
    await mkdir(path.join(secrets, 'redis-users'), { recursive: true });
    await mkdir(path.join(secrets, 'sentinel-users'), { recursive: true });
    for (const user of REDIS_USERS) await writeFile(path.join(secrets, 'redis-users', user), 'a/b|c');
    await writeFile(path.join(secrets, 'sentinel-users', 'admin'), 'x');
    await assert.rejects(
      run('redis-start.sh', 'twofold-redis-0', path.join(work, 'redis-bad'), { SECRETS_DIR: secrets }),
      /must be URL-safe base64/,
    );
  });
});

describe('sentinel-start.sh', () => {
  test('monitors the first member with the users of sentinel-config.ts, then keeps its id and master', async () => {
    const data = path.join(work, 'sentinel-0');
    const conf = await run('sentinel-start.sh', 'twofold-sentinel-0', data);
    assert.doesNotMatch(conf, /@@[A-Za-z_]+@@/, 'a placeholder was left');
    const local = renderSentinelConfig({
      port: 26379,
      dir: '/data',
      masterPort: 6379,
      auth: { ...sentinelPasswords, redisSentinelPassword: passwords.sentinel },
    });
    assert.deepEqual(lines(conf, 'user '), lines(local, 'user '));
    assert.deepEqual(lines(conf, 'sentinel monitor '), [
      'sentinel monitor twofold twofold-redis-0.twofold-redis 6379 2',
    ]);
    assert.deepEqual(lines(conf, 'sentinel auth-pass '), [
      `sentinel auth-pass twofold ${passwords.sentinel}`,
    ]);
    assert.deepEqual(lines(conf, 'sentinel sentinel-pass '), [
      `sentinel sentinel-pass ${sentinelPasswords.admin}`,
    ]);
    assert.deepEqual(lines(conf, 'sentinel announce-ip '), [
      'sentinel announce-ip twofold-sentinel-0.twofold-sentinel',
    ]);
    for (const setting of [
      'sentinel down-after-milliseconds ',
      'sentinel failover-timeout ',
      'sentinel parallel-syncs ',
    ])
      assert.deepEqual(lines(conf, setting), lines(local, setting));
    // Sentinel rewrote its file: an id, and redis-1 as master after a failover.
    const myid = 'a'.repeat(40);
    await writeFile(
      path.join(data, 'sentinel.conf'),
      `${conf.replace('twofold-redis-0.twofold-redis 6379 2', 'twofold-redis-1.twofold-redis 6379 2')}sentinel myid ${myid}\n`,
    );
    const again = await run('sentinel-start.sh', 'twofold-sentinel-0', data);
    assert.deepEqual(lines(again, 'sentinel myid '), [`sentinel myid ${myid}`]);
    assert.deepEqual(lines(again, 'sentinel monitor '), [
      'sentinel monitor twofold twofold-redis-1.twofold-redis 6379 2',
    ]);
  });
});
