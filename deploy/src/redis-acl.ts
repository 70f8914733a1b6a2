// Redis's ACL users, one per kind of client, each allowed only what its client runs (categories and
// commands as of Redis 7.0). The cluster's Redis config and the Sentinels' config both use them.
import { createHash } from 'node:crypto';
import type { RedisSecrets } from './secrets.ts';

/** A password as Redis's ACL stores it: a config file holds no password of a client. */
export const aclHash = (password: string) => `#${createHash('sha256').update(password).digest('hex')}`;

/**
 * What prometheus-redis-exporter runs: statistics, never a key's value nor a config change. Neither
 * CONFIG GET (`masterauth` is the replication password) nor SLOWLOG GET (slow commands' arguments).
 */
export const MONITOR_COMMANDS =
  '+client|list +dbsize +latency|latest +slowlog|len +memory|stats +role +select';

/**
 * The auth replicas: their own keys and channels, no @dangerous command but INFO (ioredis's ready
 * check). The push replicas: read and trim the phones' streams and hear about new entries, nothing
 * else (the push challenges, which decide logins, live under the same prefix but are not theirs).
 * The Sentinels: what Redis's Sentinel documentation lists. Replication: PSYNC and what goes with it.
 */
export function redisAclLines(acl: RedisSecrets, keyPrefix: string): string[] {
  if (!/^[A-Za-z0-9:_-]+$/.test(keyPrefix)) throw new Error(`unsupported Redis key prefix "${keyPrefix}"`);
  const hash = (user: keyof RedisSecrets['passwords']) => aclHash(acl.passwords[user]);
  const connection = '+ping +info +client|setname +quit';
  return [
    'user default off resetkeys resetchannels -@all',
    `user auth on ${hash('auth')} resetkeys ~${keyPrefix}* resetchannels &${keyPrefix}* +@all -@dangerous +info`,
    `user push on ${hash('push')} resetkeys ~${keyPrefix}push:stream:* resetchannels &${keyPrefix}push:notify &${keyPrefix}push:revoke -@all +xrange +xdel +subscribe +unsubscribe ${connection}`,
    `user replication on ${hash('replication')} -@all +psync +replconf +ping`,
    `user sentinel on ${hash('sentinel')} allchannels -@all +multi +slaveof +ping +exec +subscribe +config|rewrite +role +publish +info +client|setname +client|kill +script|kill`,
    `user operator on ${hash('operator')} allkeys allchannels +@all`,
    `user monitor on ${hash('monitor')} resetkeys resetchannels -@all ${MONITOR_COMMANDS} ${connection}`,
  ];
}
