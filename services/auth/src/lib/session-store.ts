import { createHmac, timingSafeEqual } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SessionStore } from '@fastify/session';
import type { Session } from 'fastify';
import type { Redis } from 'ioredis';
import { isRedisUnavailable } from '../../../common/src/redis-client.ts';
import { redisScript } from '../../../common/src/redis-script.ts';
import { ReplicaWait } from './replica-wait.ts';
import { hedged, reported, type StandbyResult } from './standby-hedge.ts';

/**
 * A session read the master has not answered in this time is asked of a Redis replica too: while
 * Sentinel fails the master over (3–4 s), session checks go on from the replica. Session writes,
 * logouts and "sign out everywhere else" wait for a replica (WAIT), and the replica is asked only
 * while this process's last WAIT was acknowledged and the replica says it is current, so that it
 * has every session end the master has. Such a read does not slide the idle timeout. The master
 * answers in well under a millisecond otherwise.
 */
export const REPLICA_AFTER_MS = 250;
/**
 * When Sentinel promotes the replica it cuts every client's connection to it, so for a moment a read
 * fails at both ends; it is tried again, a tenth of a second apart, for this long, by when the
 * master has moved. With Redis wholly gone, a session check so answers 503 after about 3 s, not 1 s.
 */
const REREAD_FOR_MS = 2_000;

/** How long a replica that lost its master may still be read: a failover takes 3–5 s. */
const REPLICA_LINK_DOWN_MAX_SECONDS = 10;

/**
 * Whether a replica's data can stand in for the master's, from its INFO replication: a master (it
 * was promoted), or a replica in sync whose link to the master is up or went down only lately (the
 * master was killed). Not one that is loading or resyncing (it may hold an old copy) or long cut off.
 */
export function replicaIsCurrent(info: string): boolean {
  const field = (name: string) => new RegExp(`^${name}:(.*?)\r?$`, 'm').exec(info)?.[1];
  if (field('role') === 'master') return true;
  if (field('role') !== 'slave' || field('master_sync_in_progress') !== '0') return false;
  if (field('master_link_status') === 'up') return true;
  const downFor = Number(field('master_link_down_since_seconds'));
  return Number.isFinite(downFor) && downFor >= 0 && downFor <= REPLICA_LINK_DOWN_MAX_SECONDS;
}

/** A session record from a replica, in one round trip with its INFO; undefined when it is not current. */
async function readFromReplica(replica: Redis, key: string): Promise<string | null | undefined> {
  const results = await replica.pipeline().info('replication').get(key).exec();
  const [infoReply, getReply] = results ?? [];
  const error = infoReply?.[0] ?? getReply?.[0];
  if (error || !infoReply || !getReply) throw error ?? new Error('no reply from the Redis replica');
  return replicaIsCurrent(String(infoReply[1])) ? (getReply[1] as string | null) : undefined;
}

type Callback = (error?: unknown) => void;
type GetCallback = (error: unknown, session?: Session | null) => void;

/**
 * Reads a session and slides its idle timeout, but never past the absolute deadline the session
 * carries (`expiresAt`, epoch ms), in one round trip. A session without a deadline is dropped.
 * A signed-in session's entry in the index of signed-in sessions (KEYS[2]) slides with it.
 *
 * A slide that would extend the timeout by less than a hundredth of the idle timeout (at most a
 * second) is skipped: a session checked many times a second (forward auth of a page and its
 * assets) costs Redis one write a second, not one per check, which the replica Redis and both
 * AOFs take too. A session may so end up to that slack before its idle timeout. A TTL longer
 * than the timeout (the idle timeout was lowered) is always cut. Every TTL is clamped to the
 * deadline, so a session whose key exists is before its deadline: one slid within the slack is
 * returned without decoding it.
 */
const TOUCH_SCRIPT = `
local value = redis.call('GET', KEYS[1])
if not value then return false end
local idle = tonumber(ARGV[1]) * 1000
local slack = math.min(1000, idle / 100)
local pttl = redis.call('PTTL', KEYS[1])
if pttl <= idle and idle - pttl <= slack then return value end
local ok, session = pcall(cjson.decode, value)
local deadline = ok and type(session) == 'table' and tonumber(session.expiresAt) or 0
local ttl = math.floor(math.min(idle, deadline - tonumber(ARGV[2])))
if ttl <= 0 then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[3])
  return false
end
if ttl < pttl or ttl - pttl > slack then
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('ZADD', KEYS[2], 'XX', tonumber(ARGV[2]) + ttl, ARGV[3])
end
return value
`;
const touchSession = redisScript('twofoldTouchSession', TOUCH_SCRIPT, 2);

interface StoredSession {
  expiresAt?: number;
  userId?: string;
  username?: string;
  state?: string;
  createdAt?: number;
  ip?: string;
  userAgent?: string;
}

/** An HMAC-SHA256 in base64url. */
const MAC_LENGTH = 43;
const MAC_FIELD = '"mac":"';

/**
 * Whoever can write to Redis must not be able to mint a session: every record carries an
 * HMAC-SHA256, under a key only the auth replicas hold, of its session id and its content. A record
 * without a valid MAC (forged, edited, or copied under another id) is treated as no session.
 *
 * The record is the content's JSON with the MAC as its last field, `{...,"mac":"…"}`, so that the
 * Redis scripts read it as JSON, and so that the content is the record's text without that field:
 * a read checks the MAC on that text and parses it once, on every session check.
 */
export class SessionRecordSigner {
  readonly #key: Buffer;

  constructor(sessionSecret: string) {
    this.#key = createHmac('sha256', sessionSecret).update('twofold session records v1').digest();
  }

  seal(sessionId: string, session: object): string {
    const content = JSON.stringify(session);
    // The format below needs an object's JSON, and a field of its own named `mac` would be read twice.
    if (!content.startsWith('{') || Object.hasOwn(session, 'mac')) {
      throw new TypeError('a session record is an object without a "mac" field');
    }
    const mac = this.#mac(sessionId, content);
    return content === '{}' ? `{${MAC_FIELD}${mac}"}` : `${content.slice(0, -1)},${MAC_FIELD}${mac}"}`;
  }

  /** The record's content, or undefined when its MAC is missing or wrong. */
  open(sessionId: string, stored: string): StoredSession | undefined {
    const macAt = stored.length - MAC_LENGTH - 2;
    if (macAt < 0 || !stored.endsWith('"}')) return undefined;
    const head = stored.slice(0, macAt);
    let content: string;
    if (head === `{${MAC_FIELD}`) content = '{}';
    else if (head.length > MAC_FIELD.length + 2 && head.endsWith(`,${MAC_FIELD}`))
      content = `${head.slice(0, -MAC_FIELD.length - 1)}}`;
    else return undefined;
    const given = Buffer.from(stored.slice(macAt, -2));
    const expected = Buffer.from(this.#mac(sessionId, content));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    // Authentic, so it is the JSON of an object this signer sealed.
    return JSON.parse(content) as StoredSession;
  }

  #mac(sessionId: string, content: string): string {
    return createHmac('sha256', this.#key).update(`${sessionId}\n${content}`).digest('base64url');
  }
}

export interface UserSession {
  sessionId: string;
  data: StoredSession;
}

/**
 * @fastify/session store over ioredis. No maintained store for @fastify/session targets ioredis
 * with what we need: an idle timeout that slides on each read under an absolute deadline, and a
 * `WAIT` for replicas after each write, so that an acknowledged login survives a master kill.
 */
export class RedisSessionStore implements SessionStore {
  /** The WAIT after each write, shared with the replica's other writers that must survive a failover. */
  readonly replication: ReplicaWait;

  constructor(
    private readonly redis: Redis,
    private readonly signer: SessionRecordSigner,
    private readonly options: {
      idleSeconds: number;
      absoluteSeconds: number;
      waitReplicas: number;
      waitTimeoutMs: number;
      prefix?: string;
      /** Called when a write was not acknowledged by enough replicas in time. */
      onUnreplicated?: (acknowledged: number) => void;
      /** A connection to a Redis replica, which reads fall back on while the master is slow (Sentinel). */
      replica?: Redis;
      /** Told how each read asked of the replica ended (a metric). */
      onReplicaRead?: (result: StandbyResult) => void;
    },
  ) {
    this.replication = new ReplicaWait(redis, options);
  }

  private key(sessionId: string): string {
    return `${this.options.prefix ?? 'twofold:sess:'}${sessionId}`;
  }

  /**
   * Signed-in (authenticated) session ids scored by when they expire unless used again: counted
   * for the metrics in O(log n), where counting the session keys would mean a SCAN of Redis.
   */
  private signedInKey(): string {
    return `${this.options.prefix ?? 'twofold:sess:'}signed-in`;
  }

  /** Signed-in sessions not yet expired; the index's expired entries are dropped on the way. */
  async countSignedIn(now = Date.now()): Promise<number> {
    const results = await this.redis
      .multi()
      .zremrangebyscore(this.signedInKey(), '-inf', now)
      .zcard(this.signedInKey())
      .exec();
    const [error, count] = results?.[1] ?? [new Error('no reply to ZCARD')];
    if (error) throw error;
    return Number(count);
  }

  /** A set per user of their session ids, so that they can list and end their other sessions. */
  private userKey(userId: string): string {
    return `${this.options.prefix ?? 'twofold:sess:'}user:${userId}`;
  }

  /** The user's live sessions; ids of sessions that expired meanwhile are dropped from the set. */
  async listForUser(userId: string): Promise<UserSession[]> {
    const ids = await this.redis.smembers(this.userKey(userId));
    if (ids.length === 0) return [];
    const values = await this.redis.mget(ids.map((id) => this.key(id)));
    const gone = ids.filter((_, i) => values[i] === null);
    if (gone.length > 0) await this.redis.srem(this.userKey(userId), ...gone);
    return ids.flatMap((sessionId, i) => {
      const data = values[i] ? this.signer.open(sessionId, values[i]) : undefined;
      return data ? [{ sessionId, data }] : [];
    });
  }

  /** Ends one of the user's sessions, or all but `keep`. */
  async destroyForUser(userId: string, sessionIds: string[]): Promise<void> {
    if (sessionIds.length === 0) return;
    await this.redis
      .multi()
      .del(...sessionIds.map((id) => this.key(id)))
      .srem(this.userKey(userId), ...sessionIds)
      .zrem(this.signedInKey(), ...sessionIds)
      .exec();
    await this.replicateEnd();
  }

  /**
   * After sessions end (a logout, "sign out everywhere else"): waits for a replica, so that they
   * stay ended through a master kill. The ending itself is done: a WAIT that fails does not undo
   * it, and it turns replica reads off (replicasHaveEveryWrite) until a WAIT is acknowledged again.
   * Not in destroy(): @fastify/session's regenerate() calls that too, and the new session's write
   * waits for the replica anyway, which covers the destroy before it.
   */
  async replicateEnd(): Promise<void> {
    await this.replication.afterWrite().catch(() => {});
  }

  set(sessionId: string, session: unknown, callback: Callback): void {
    this.write(sessionId, session as StoredSession).then(() => callback(), callback);
  }

  /** The record under `sessionId`, its idle timeout slid; undefined when there is none, or a forged one. */
  async load(sessionId: string): Promise<StoredSession | undefined> {
    const key = this.key(sessionId);
    const { replica, onReplicaRead } = this.options;
    const touch = () =>
      touchSession(
        this.redis,
        key,
        this.signedInKey(),
        String(this.options.idleSeconds),
        String(Date.now()),
        sessionId,
      );
    // Only while the replicas have every write kept (the WAITs were acknowledged), and only from a
    // replica that is current (replicaIsCurrent): else it may still have a session that ended.
    const fromReplica =
      replica && this.replication.replicasHaveEveryWrite
        ? reported(() => readFromReplica(replica, key), onReplicaRead)
        : undefined;
    // Only a record the replica has counts: one it lacks may have been written on the master alone
    // (while no replica acknowledged), and "no session" would sign the user out.
    const found = (value: unknown) => typeof value === 'string';
    const read = () => hedged<unknown>(touch, fromReplica, REPLICA_AFTER_MS, found);
    const giveUpAt = Date.now() + REREAD_FOR_MS;
    let stored: unknown;
    for (;;) {
      try {
        stored = await read();
        break;
      } catch (error) {
        if (!replica || !isRedisUnavailable(error) || Date.now() >= giveUpAt) throw error;
        await sleep(100);
      }
    }
    const session = typeof stored === 'string' ? this.signer.open(sessionId, stored) : undefined;
    // Redis expires every key by its deadline; this holds even if a key's TTL was lengthened.
    return session && Number(session.expiresAt) > Date.now() ? session : undefined;
  }

  get(sessionId: string, callback: GetCallback): void {
    this.load(sessionId).then(
      (session) => callback(null, (session as Session | undefined) ?? null),
      callback,
    );
  }

  destroy(sessionId: string, callback: Callback): void {
    this.redis
      .multi()
      .del(this.key(sessionId))
      .zrem(this.signedInKey(), sessionId)
      .exec()
      .then(() => callback(), callback);
  }

  private async write(sessionId: string, session: StoredSession): Promise<void> {
    // A session never established (no deadline) is never stored, so there is nothing to write or
    // remove: this is @fastify/session's regenerate() saving the empty session under its new id,
    // one round trip per factor for nothing. Every stored record carries a deadline.
    if (session.expiresAt === undefined) return;
    const ttlMs = Math.min(this.options.idleSeconds * 1000, Math.floor(session.expiresAt - Date.now()));
    if (ttlMs <= 0) {
      await this.redis.multi().del(this.key(sessionId)).zrem(this.signedInKey(), sessionId).exec();
      return;
    }
    if (session.userId) {
      const write = this.redis
        .multi()
        .set(this.key(sessionId), this.signer.seal(sessionId, session), 'PX', ttlMs)
        .sadd(this.userKey(session.userId), sessionId)
        // No session of the user can outlive this, whichever session is written.
        .expire(this.userKey(session.userId), this.options.absoluteSeconds);
      if (session.state === 'authenticated') {
        const now = Date.now();
        // Pruned here too, and gone once no one signed in for a session's whole life, so the index
        // stays bounded even if nothing ever scrapes the metrics.
        write
          .zremrangebyscore(this.signedInKey(), '-inf', now)
          .zadd(this.signedInKey(), now + ttlMs, sessionId)
          .pexpire(this.signedInKey(), this.options.absoluteSeconds * 1000);
      } else {
        write.zrem(this.signedInKey(), sessionId);
      }
      await write.exec();
    } else {
      await this.redis.set(this.key(sessionId), this.signer.seal(sessionId, session), 'PX', ttlMs);
    }
    await this.replication.afterWrite();
  }
}
