// A push gateway on the test PostgreSQL and Redis of an auth app, and a raw protocol client for it.
import type { FastifyInstance } from 'fastify';
import WebSocket from 'ws';
import type { TestPhone } from '../../../auth/test/helpers/test-phone.ts';
import { signAuth } from '../../../phone/public/lib/device-crypto.js';
import { buildPushGateway, type PushGateway } from '../../src/app.ts';
import { loadPushConfig } from '../../src/config.ts';

export interface Frame {
  type: string;
  [key: string]: unknown;
}

/** A raw protocol client: frames in arrival order, and how the socket closed. */
export class Socket {
  readonly frames: Frame[] = [];
  closed: Promise<{ code: number; reason: string }>;
  private waiters: Array<() => void> = [];
  readonly ws: WebSocket;

  constructor(url: string, options: WebSocket.ClientOptions = {}) {
    this.ws = new WebSocket(url, options);
    this.ws.on('message', (data) => {
      this.frames.push(JSON.parse(data.toString()));
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.closed = new Promise((resolve) => {
      this.ws.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        for (const wake of this.waiters.splice(0)) wake();
      });
    });
  }

  async next(type: string, timeoutMs = 5_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.frames.findIndex((f) => f.type === type);
      if (index >= 0) return this.frames.splice(index, 1)[0] as Frame;
      if (Date.now() > deadline || this.ws.readyState === WebSocket.CLOSED)
        throw new Error(`no ${type} frame (got ${JSON.stringify(this.frames)})`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  send(frame: object): void {
    this.ws.send(JSON.stringify(frame));
  }
}

export async function startGateway(
  auth: FastifyInstance,
  name: string,
  extra: NodeJS.ProcessEnv = {},
): Promise<PushGateway & { url: string }> {
  const gateway = await buildPushGateway(
    loadPushConfig({
      TWOFOLD_DATABASE_URL: auth.config.databaseUrl,
      TWOFOLD_REDIS_URL: 'url' in auth.config.redis ? auth.config.redis.url : '',
      TWOFOLD_REDIS_KEY_PREFIX: auth.config.redisKeyPrefix,
      TWOFOLD_REPLICA_NAME: name,
      TWOFOLD_LOG_LEVEL: 'silent',
      TWOFOLD_PORT: '0',
      ...extra,
    }),
  );
  await gateway.app.listen({ host: '127.0.0.1', port: 0 });
  const address = gateway.app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return Object.assign(gateway, { url: `ws://127.0.0.1:${port}/push/v1/connect` });
}

/** Connects as the device: answers the challenge with the device key's signature, waits for ready. */
export async function connectAs(
  url: string,
  phone: TestPhone,
  options: WebSocket.ClientOptions = {},
): Promise<Socket> {
  const socket = new Socket(url, options);
  const challenge = await socket.next('challenge');
  socket.send({
    type: 'auth',
    deviceId: phone.deviceId,
    signature: await signAuth(phone.signingKey, phone.deviceId, String(challenge.nonce)),
  });
  await socket.next('ready');
  return socket;
}
