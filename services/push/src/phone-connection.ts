// One phone's WebSocket: the challenge-signature handshake, then delivery of its stream and acks.
import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import type { WebSocket } from 'ws';
import { AUTH_LABEL, verifyFields } from '../../common/src/device-crypto.ts';
import { ackPush, isStreamId, readPush } from '../../common/src/push-queue.ts';
import type { DeviceKeys } from './device-keys.ts';
import type { PushMetrics } from './metrics.ts';

export const CLOSE = {
  badProtocol: 4400,
  unauthorized: 4401,
  removed: 4403,
  authTimeout: 4408,
  goingDown: 1012,
  tryAgainLater: 1013,
} as const;

export interface ConnectionDeps {
  redis: Redis;
  prefix: string;
  deviceKeys: DeviceKeys;
  replicaName: string;
  authTimeoutMs: number;
  metrics: PushMetrics;
  log: FastifyBaseLogger;
  onReady(connection: PhoneConnection): void;
  onClose(connection: PhoneConnection): void;
}

/** Retry delay after a failed read of the stream (Redis failing over): the phone must not wait for a new message. */
const RETRY_DELIVERY_MS = 1_000;

export class PhoneConnection {
  deviceId: string | undefined;
  /** Answered the last ping; a connection that misses one is dropped. */
  alive = true;
  private readonly nonce = randomBytes(32).toString('base64url');
  private lastSentId = '-';
  private delivering = false;
  private deliverAgain = false;
  private authenticating = false;
  private readonly authTimer: NodeJS.Timeout;

  constructor(
    readonly socket: WebSocket,
    private readonly deps: ConnectionDeps,
  ) {
    this.authTimer = setTimeout(() => this.close(CLOSE.authTimeout, 'no auth in time'), deps.authTimeoutMs);
    socket.on('pong', () => {
      this.alive = true;
    });
    socket.on('message', (data, isBinary) => {
      if (isBinary) return this.close(CLOSE.badProtocol, 'text frames only');
      void this.onFrame(data.toString()).catch((error) => {
        deps.log.warn({ err: error, deviceId: this.deviceId }, 'push frame failed');
        this.close(1011, 'server error');
      });
    });
    socket.on('close', () => {
      clearTimeout(this.authTimer);
      deps.onClose(this);
    });
    this.send({ type: 'challenge', nonce: this.nonce });
  }

  get ready(): boolean {
    return this.deviceId !== undefined;
  }

  close(code: number, reason: string): void {
    this.socket.close(code, reason);
  }

  /** Sends what the stream holds beyond what this connection already sent; runs one at a time. */
  async deliver(): Promise<void> {
    if (!this.deviceId) return;
    if (this.delivering) {
      this.deliverAgain = true;
      return;
    }
    this.delivering = true;
    try {
      let full = false;
      do {
        this.deliverAgain = false;
        const batch = await readPush(this.deps.redis, this.deps.prefix, this.deviceId, this.lastSentId);
        for (const message of batch.messages) {
          const sent = this.send({
            type: 'message',
            id: message.id,
            expiresAt: message.expiresAt,
            sealed: message.sealed,
          });
          // Clocks of two machines may disagree by a little: never a negative duration.
          if (sent) this.deps.metrics.delivery.observe(Math.max(0, Date.now() - message.createdAt) / 1000);
        }
        this.lastSentId = batch.lastId;
        this.deps.metrics.messages.inc({ event: 'sent' }, batch.messages.length);
        full = batch.full;
      } while ((this.deliverAgain || full) && this.socket.readyState === this.socket.OPEN);
    } catch (error) {
      this.deps.log.warn({ err: error, deviceId: this.deviceId }, 'push delivery failed, retrying');
      setTimeout(() => void this.deliver(), RETRY_DELIVERY_MS).unref();
    } finally {
      this.delivering = false;
    }
  }

  private async onFrame(text: string): Promise<void> {
    let frame: { type?: unknown; deviceId?: unknown; signature?: unknown; id?: unknown };
    try {
      frame = JSON.parse(text);
    } catch {
      return this.close(CLOSE.badProtocol, 'not JSON');
    }
    if (frame === null || typeof frame !== 'object') return this.close(CLOSE.badProtocol, 'not a frame');
    if (!this.ready) {
      if (frame.type !== 'auth' || this.authenticating) return this.close(CLOSE.badProtocol, 'expected auth');
      return this.authenticate(frame.deviceId, frame.signature);
    }
    if (frame.type === 'ack' && isStreamId(frame.id) && this.deviceId) {
      // A lost ack (Redis failing over) only means the message comes again; phones skip repeats.
      await ackPush(this.deps.redis, this.deps.prefix, this.deviceId, frame.id).then(
        () => this.deps.metrics.messages.inc({ event: 'acked' }),
        (error) => this.deps.log.warn({ err: error, deviceId: this.deviceId }, 'ack not recorded'),
      );
      return;
    }
    this.close(CLOSE.badProtocol, 'unexpected frame');
  }

  private async authenticate(deviceId: unknown, signature: unknown): Promise<void> {
    this.authenticating = true;
    const key = typeof deviceId === 'string' ? await this.deps.deviceKeys.signingKey(deviceId) : undefined;
    const proven =
      key !== undefined &&
      typeof signature === 'string' &&
      verifyFields(key, [AUTH_LABEL, deviceId as string, this.nonce], signature);
    this.deps.metrics.handshakes.inc({ result: proven ? 'success' : 'failure' });
    if (!proven) return this.close(CLOSE.unauthorized, 'unknown device or bad signature');
    // The phone may have gone (or the auth timeout fired) while the key was looked up: a closed
    // socket must not enter the hub, where nothing would ever take it out again.
    if (this.socket.readyState !== this.socket.OPEN) return;
    clearTimeout(this.authTimer);
    this.deviceId = deviceId as string;
    this.deps.onReady(this);
    this.send({ type: 'ready', replica: this.deps.replicaName });
    this.deps.deviceKeys.touch(this.deviceId).catch(() => {});
    await this.deliver();
  }

  private send(frame: object): boolean {
    if (this.socket.readyState !== this.socket.OPEN) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }
}
