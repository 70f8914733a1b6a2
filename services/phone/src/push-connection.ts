// The phone's end of the push WebSocket (services/phone/PROTOCOL.md): answer the challenge, wait for
// `ready`, hand each message to the phone and acknowledge it once handled; reconnect until told not to.
import WebSocket from 'ws';
import { type MessageFrame, parseServerFrame } from './messages.ts';

export const INITIAL_BACKOFF_MS = 250;
export const MAX_BACKOFF_MS = 5_000;
/** 4401: unknown device or bad signature; 4403: the device was removed. Retrying cannot help. */
export const FINAL_CLOSE_CODES: ReadonlySet<number> = new Set([4401, 4403]);
export const GOING_AWAY = 1012;

export interface CloseInfo {
  code: number;
  reason: string;
  /** When the next attempt starts; undefined when the connection will not be retried. */
  reconnectInMs: number | undefined;
}

export interface PushConnectionOptions {
  url: string;
  deviceId: string;
  signAuth(nonce: string): Promise<string>;
  /** Handles one message; the message is acknowledged only if this resolves. */
  handle(frame: MessageFrame): Promise<void>;
  onReady(replica: string): void;
  onClose(info: CloseInfo): void;
  onError(error: Error): void;
  handshakeTimeoutMs?: number;
  readyTimeoutMs?: number;
  /** The server pings every 25 s: a longer silence means a dead path nobody closed. */
  silenceTimeoutMs?: number;
}

/** The wait before the next attempt after a close, or undefined for none. */
export function reconnectDelay(code: number, wasReady: boolean, backoffMs: number): number | undefined {
  if (FINAL_CLOSE_CODES.has(code)) return undefined;
  // A replica going down sends 1012; another replica takes the phone at once. Only after a `ready`,
  // so that a gateway answering every attempt with 1012 cannot make a tight loop.
  if (code === GOING_AWAY && wasReady) return 0;
  return backoffMs;
}

export class PushConnection {
  private socket: WebSocket | undefined;
  private stopped = false;
  private backoffMs = INITIAL_BACKOFF_MS;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Messages are handled one at a time, in order, across reconnections. */
  private handling: Promise<void> = Promise.resolve();

  constructor(private readonly options: PushConnectionOptions) {}

  start(): void {
    this.stopped = false;
    this.open();
  }

  /** Stops retrying, closes the socket and waits for the message being handled. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const socket = this.socket;
    if (socket && socket.readyState !== WebSocket.CLOSED) {
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      if (socket.readyState === WebSocket.OPEN) socket.close(1000, 'phone closing');
      else socket.terminate();
      const forced = setTimeout(() => socket.terminate(), 2_000);
      await closed;
      clearTimeout(forced);
    }
    await this.handling;
  }

  private open(): void {
    const {
      url,
      handshakeTimeoutMs = 10_000,
      readyTimeoutMs = 10_000,
      silenceTimeoutMs = 60_000,
    } = this.options;
    const socket = new WebSocket(url, { handshakeTimeout: handshakeTimeoutMs, maxPayload: 1 << 20 });
    this.socket = socket;
    let ready = false;
    const readyTimer = setTimeout(() => {
      this.report(new Error(`no ready from ${url} within ${readyTimeoutMs} ms; retrying`));
      socket.terminate();
    }, readyTimeoutMs);
    let silenceTimer: NodeJS.Timeout | undefined;
    const alive = () => {
      clearTimeout(silenceTimer);
      silenceTimer = setTimeout(() => socket.terminate(), silenceTimeoutMs);
    };
    socket.on('open', alive);
    socket.on('ping', alive);
    socket.on('error', (error) => this.report(error));
    socket.on('message', (data, isBinary) => {
      alive();
      const frame = isBinary ? undefined : parseServerFrame(data.toString());
      if (frame?.type === 'challenge') this.authenticate(socket, frame.nonce);
      else if (frame?.type === 'ready') {
        ready = true;
        clearTimeout(readyTimer);
        this.backoffMs = INITIAL_BACKOFF_MS;
        this.options.onReady(frame.replica);
      } else if (frame?.type === 'message') this.enqueue(socket, frame);
    });
    socket.on('close', (code, reason) => {
      clearTimeout(readyTimer);
      clearTimeout(silenceTimer);
      if (this.socket === socket) this.socket = undefined;
      this.afterClose(code, reason.toString(), ready);
    });
  }

  private authenticate(socket: WebSocket, nonce: string): void {
    this.options.signAuth(nonce).then(
      (signature) => {
        if (socket.readyState !== WebSocket.OPEN) return;
        socket.send(JSON.stringify({ type: 'auth', deviceId: this.options.deviceId, signature }));
      },
      (error: Error) => {
        this.report(error);
        socket.terminate();
      },
    );
  }

  private enqueue(socket: WebSocket, frame: MessageFrame): void {
    this.handling = this.handling
      .then(() => this.options.handle(frame))
      .then(
        () => {
          // On a closed socket the ack is lost: the message comes again and is skipped as handled.
          if (socket.readyState === WebSocket.OPEN)
            socket.send(JSON.stringify({ type: 'ack', id: frame.id }));
        },
        (error: Error) => this.report(error),
      );
  }

  private afterClose(code: number, reason: string, wasReady: boolean): void {
    const delay = this.stopped ? undefined : reconnectDelay(code, wasReady, this.backoffMs);
    if (delay === undefined) {
      this.stopped = true;
      this.options.onClose({ code, reason, reconnectInMs: undefined });
      return;
    }
    if (delay > 0) this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
    this.options.onClose({ code, reason, reconnectInMs: delay });
    this.retryTimer = setTimeout(() => {
      if (!this.stopped) this.open();
    }, delay);
  }

  private report(error: Error): void {
    if (!this.stopped) this.options.onError(error);
  }
}
