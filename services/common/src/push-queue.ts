// Messages to a phone, in Redis: one stream per device, each entry sealed to the device and carrying
// its expiry. The auth replicas append (and announce it on a channel); the push gateway delivers to
// the connected phone and deletes each entry the phone acknowledges. Redis, not the gateway, holds
// the messages, so a gateway replica can die without losing one, and an offline phone gets what is
// still valid when it comes back.
import type { Redis } from 'ioredis';
import type { Sealed } from './device-crypto.ts';

/** A device's stream goes when nothing has been added to it for this long (every message is shorter-lived). */
const STREAM_TTL_MS = 24 * 3600 * 1000;
/** A phone that never connects cannot make its stream grow without bound. */
const STREAM_MAX_LENGTH = 200;

export interface PushMessage {
  id: string;
  expiresAt: number;
  /** When the auth replica queued it (epoch ms); for entries queued before the field, the stream id's time. */
  createdAt: number;
  sealed: Sealed;
}

export function pushKeys(prefix: string) {
  return {
    stream: (deviceId: string) => `${prefix}push:stream:${deviceId}`,
    /** Published with a device id when its stream has a new entry. */
    notify: `${prefix}push:notify`,
    /** Published with a device id when the device is removed: its connections close. */
    revoke: `${prefix}push:revoke`,
  };
}

/**
 * Appends a sealed message to a device's stream and announces it. Waiting for a Redis replica to
 * hold it is the caller's (one WAIT after a batch of messages covers them all).
 */
export async function enqueuePush(
  redis: Redis,
  prefix: string,
  deviceId: string,
  message: { sealed: Sealed; expiresAt: number; createdAt?: number },
): Promise<string> {
  const keys = pushKeys(prefix);
  const stream = keys.stream(deviceId);
  const results = await redis
    .multi()
    .xadd(
      stream,
      'MAXLEN',
      '~',
      STREAM_MAX_LENGTH,
      '*',
      'exp',
      String(message.expiresAt),
      // Outside the sealed part, for the gateway's delivery-time metric; older gateways ignore it.
      'at',
      String(message.createdAt ?? Date.now()),
      'sealed',
      JSON.stringify(message.sealed),
    )
    .pexpire(stream, STREAM_TTL_MS)
    .publish(keys.notify, deviceId)
    .exec();
  const id = results?.[0]?.[1];
  if (typeof id !== 'string') throw new Error('XADD returned no id');
  return id;
}

export const READ_BATCH = 100;

/**
 * Up to READ_BATCH entries after `afterId` ("-" for all), oldest first; expired ones are deleted,
 * not returned. `lastId` is the last entry read (live or not), where the next read starts; `full`
 * says there may be more.
 */
export async function readPush(
  redis: Redis,
  prefix: string,
  deviceId: string,
  afterId: string,
  now = Date.now(),
): Promise<{ messages: PushMessage[]; lastId: string; full: boolean }> {
  const stream = pushKeys(prefix).stream(deviceId);
  const start = afterId === '-' ? '-' : `(${afterId}`;
  const entries = await redis.xrange(stream, start, '+', 'COUNT', READ_BATCH);
  const live: PushMessage[] = [];
  const expired: string[] = [];
  for (const [id, fields] of entries) {
    const message = parseEntry(id, fields);
    if (!message || message.expiresAt <= now) expired.push(id);
    else live.push(message);
  }
  if (expired.length > 0) await redis.xdel(stream, ...expired);
  const lastId = entries.at(-1)?.[0] ?? afterId;
  return { messages: live, lastId, full: entries.length === READ_BATCH };
}

/** The phone has handled the message: it is not sent again. */
export async function ackPush(redis: Redis, prefix: string, deviceId: string, id: string): Promise<void> {
  await redis.xdel(pushKeys(prefix).stream(deviceId), id);
}

/** Everything queued for a removed device goes with it. */
export async function dropPushStream(redis: Redis, prefix: string, deviceId: string): Promise<void> {
  const keys = pushKeys(prefix);
  await redis.multi().del(keys.stream(deviceId)).publish(keys.revoke, deviceId).exec();
}

export const isStreamId = (id: unknown): id is string =>
  typeof id === 'string' && /^\d{1,20}-\d{1,20}$/.test(id);

function parseEntry(id: string, fields: string[]): PushMessage | undefined {
  const values = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) values.set(fields[i] as string, fields[i + 1] as string);
  const expiresAt = Number(values.get('exp'));
  const at = Number(values.get('at'));
  // A stream id starts with the Redis server's time in ms when the entry was added.
  const createdAt = values.has('at') && Number.isFinite(at) ? at : Number(id.split('-')[0]);
  try {
    const sealed = JSON.parse(values.get('sealed') ?? '') as Sealed;
    return Number.isFinite(expiresAt) ? { id, expiresAt, createdAt, sealed } : undefined;
  } catch {
    return undefined;
  }
}
