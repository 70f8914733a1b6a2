// Idle phones for the `push` benchmark: device rows written straight into PostgreSQL (no pairing),
// and one authenticated WebSocket each, held open on one push replica.
import { generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto';
import pg from 'pg';
import WebSocket from 'ws';
import { AUTH_LABEL } from '../services/common/src/device-crypto.ts';

export interface IdleDevice {
  id: string;
  signingKey: KeyObject;
}

const INSERT_CHUNK = 1_000;

/** `count` devices of `userId`, each with fresh P-256 signing and encryption keys (SPKI DER). */
export async function insertIdleDevices(
  databaseUrl: string,
  userId: string,
  count: number,
): Promise<IdleDevice[]> {
  const devices: IdleDevice[] = [];
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    for (let start = 0; start < count; start += INSERT_CHUNK) {
      const ids: string[] = [];
      const signing: Buffer[] = [];
      const encryption: Buffer[] = [];
      for (let i = start; i < Math.min(count, start + INSERT_CHUNK); i += 1) {
        const id = randomUUID();
        const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
        const seal = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
        ids.push(id);
        signing.push(pair.publicKey.export({ format: 'der', type: 'spki' }));
        encryption.push(seal.publicKey.export({ format: 'der', type: 'spki' }));
        devices.push({ id, signingKey: pair.privateKey });
      }
      await client.query(
        `INSERT INTO devices (id, user_id, name, signing_key, encryption_key)
         SELECT id, $2, 'bench idle phone', s, e FROM unnest($1::uuid[], $3::bytea[], $4::bytea[]) AS t(id, s, e)`,
        [ids, userId, signing, encryption],
      );
    }
  } finally {
    await client.end();
  }
  return devices;
}

/** The user id of a registered username, read from the database. */
export async function userIdOf(databaseUrl: string, username: string): Promise<string> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string }>('SELECT id FROM users WHERE username = $1', [
      username,
    ]);
    if (!rows[0]) throw new Error(`no user ${username} in the database`);
    return rows[0].id;
  } finally {
    await client.end();
  }
}

export interface IdleFleet {
  sockets: WebSocket[];
  failures: Map<string, number>;
  /** Connections that closed after their `ready`, by close code. */
  dropped: Map<number, number>;
  connectMs: number;
  /** performance.now() of every ping frame the server sent after a `ready` (ws answers each). */
  pings: number[];
  /** Closes every socket (politely, then forcibly after `graceMs`). */
  close(graceMs?: number): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;

/** Closes after `ready` that we did not ask for, and when the server's pings arrived. */
interface DropWatch {
  dropped: Map<number, number>;
  closing: boolean;
  pings: number[];
}

function countInto<K>(map: Map<K, number>, key: K): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** One phone's connection: challenge, signed auth, ready. Rejects with why it did not get there. */
function connectIdle(url: string, device: IdleDevice, watch: DropWatch): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: READY_TIMEOUT_MS });
    let ready = false;
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error(`no ready within ${READY_TIMEOUT_MS} ms`));
    }, READY_TIMEOUT_MS);
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as { type?: string; nonce?: string };
      if (frame.type === 'challenge' && typeof frame.nonce === 'string') {
        const signed = Buffer.from([AUTH_LABEL, device.id, frame.nonce].join('\n'), 'utf8');
        const signature = sign('sha256', signed, { key: device.signingKey, dsaEncoding: 'ieee-p1363' });
        socket.send(
          JSON.stringify({ type: 'auth', deviceId: device.id, signature: signature.toString('base64url') }),
        );
      } else if (frame.type === 'ready') {
        ready = true;
        clearTimeout(timer);
        socket.on('ping', () => watch.pings.push(performance.now()));
        resolve(socket);
      }
    });
    socket.on('error', () => {}); // a close follows, with the code that says why
    socket.on('close', (code, reason) => {
      clearTimeout(timer);
      if (ready && !watch.closing) countInto(watch.dropped, code);
      else reject(new Error(`closed before ready: ${code}${reason.length ? ` ${reason}` : ''}`));
    });
  });
}

/**
 * Connects every device to `url`, `batch` at a time (each batch waits for all its `ready`s).
 * A connection that fails is counted by reason, not retried.
 */
export async function connectIdleFleet(
  url: string,
  devices: IdleDevice[],
  batch: number,
  progress: (done: number) => void = () => {},
): Promise<IdleFleet> {
  const sockets: WebSocket[] = [];
  const failures = new Map<string, number>();
  const watch: DropWatch = { dropped: new Map(), closing: false, pings: [] };
  const started = performance.now();
  for (let start = 0; start < devices.length; start += batch) {
    const results = await Promise.allSettled(
      devices.slice(start, start + batch).map((device) => connectIdle(url, device, watch)),
    );
    for (const result of results) {
      if (result.status === 'fulfilled') sockets.push(result.value);
      else countInto(failures, (result.reason as Error).message);
    }
    progress(Math.min(devices.length, start + batch));
  }
  const connectMs = performance.now() - started;
  return {
    sockets,
    failures,
    dropped: watch.dropped,
    connectMs,
    pings: watch.pings,
    close: async (graceMs = 5_000) => {
      watch.closing = true;
      const open = sockets.filter((socket) => socket.readyState !== WebSocket.CLOSED);
      const closed = Promise.all(
        open.map((socket) => new Promise<void>((resolve) => socket.once('close', () => resolve()))),
      );
      for (const socket of open) socket.close(1000, 'benchmark done');
      const forced = setTimeout(() => {
        for (const socket of open) socket.terminate();
      }, graceMs);
      await closed;
      clearTimeout(forced);
    },
  };
}

export interface PingSweep {
  pings: number;
  /** First to last ping of the sweep as this process saw them arrive. */
  spreadMs: number;
}

/** The server pings every phone in one loop every N s: pings closer than `gapMs` are one sweep. */
export function pingSweeps(pings: number[], gapMs = 2_000): PingSweep[] {
  const sorted = [...pings].sort((a, b) => a - b);
  const sweeps: PingSweep[] = [];
  let first = 0;
  for (let i = 1; i <= sorted.length; i += 1) {
    if (i === sorted.length || (sorted[i] as number) - (sorted[i - 1] as number) > gapMs) {
      sweeps.push({ pings: i - first, spreadMs: (sorted[i - 1] as number) - (sorted[first] as number) });
      first = i;
    }
  }
  return sweeps;
}
