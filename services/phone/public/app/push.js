// The push channel (PROTOCOL.md, "Push connection"): a WebSocket to the same origin that proves the
// device with a signature, then receives sealed messages and acknowledges each once handled.
import { signAuth } from '../lib/device-crypto.js';

const FIRST_DELAY_MS = 250;
const MAX_DELAY_MS = 5000;
/** Close codes after which reconnecting cannot help: removed (4403), not recognised (4401). */
const FINAL_CODES = new Set([4401, 4403]);
const GOING_AWAY = 1012;

/**
 * @typedef {'connecting' | 'connected' | 'reconnecting' | 'offline' | 'ended'} PushStatus
 * @typedef {{
 *   path: string, deviceId: string, signingKey: CryptoKey,
 *   onMessage: (frame: {id: string, expiresAt: number, sealed: object}) => Promise<void>,
 *   onStatus: (status: PushStatus) => void,
 *   onEnded: (code: number) => void,
 * }} PushOptions
 */
export class PushChannel {
  /** @param {PushOptions} options */
  constructor(options) {
    this.options = options;
    /** @type {WebSocket | null} */
    this.socket = null;
    this.attempt = 0;
    this.timer = 0;
    this.stopped = true;
    // Messages are handled one at a time, in the order the server sent them.
    this.queue = Promise.resolve();
    this.wake = () => this.connectNow();
    this.sleep = () => this.options.onStatus('offline');
    this.visible = () => document.visibilityState === 'visible' && this.connectNow();
  }

  start() {
    this.stopped = false;
    window.addEventListener('online', this.wake);
    window.addEventListener('offline', this.sleep);
    // A phone freezes background pages; coming back is the moment to reconnect.
    document.addEventListener('visibilitychange', this.visible);
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    window.removeEventListener('online', this.wake);
    window.removeEventListener('offline', this.sleep);
    document.removeEventListener('visibilitychange', this.visible);
    this.socket?.close(1000);
    this.socket = null;
  }

  connectNow() {
    if (this.stopped || this.socket) return;
    clearTimeout(this.timer);
    this.connect();
  }

  connect() {
    if (this.stopped || this.socket) return;
    if (!navigator.onLine) {
      this.options.onStatus('offline'); // the 'online' event brings us back
      return;
    }
    const url = new URL(this.options.path, location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    this.options.onStatus(this.attempt === 0 ? 'connecting' : 'reconnecting');
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.onmessage = (event) => this.receive(socket, event.data);
    socket.onclose = (event) => this.closed(socket, event.code);
  }

  /** @param {WebSocket} socket @param {unknown} data */
  async receive(socket, data) {
    let frame;
    try {
      frame = JSON.parse(String(data));
    } catch {
      return;
    }
    const { deviceId, signingKey } = this.options;
    if (frame.type === 'challenge' && typeof frame.nonce === 'string') {
      try {
        send(socket, {
          type: 'auth',
          deviceId,
          signature: await signAuth(signingKey, deviceId, frame.nonce),
        });
      } catch (error) {
        console.error('could not sign the push challenge', error);
        socket.close(); // and try again later, with backoff
      }
    } else if (frame.type === 'ready') {
      this.attempt = 0;
      this.options.onStatus('connected');
    } else if (frame.type === 'message' && typeof frame.id === 'string') {
      this.queue = this.queue.then(() => this.handle(socket, frame));
    }
  }

  /** @param {WebSocket} socket @param {{id: string, expiresAt: number, sealed: object}} frame */
  async handle(socket, frame) {
    try {
      await this.options.onMessage(frame);
    } catch (error) {
      // Not acknowledged: the server sends it again on the next connection.
      console.error('could not handle a push message', error);
      return;
    }
    send(socket, { type: 'ack', id: frame.id });
  }

  /** @param {WebSocket} socket @param {number} code */
  closed(socket, code) {
    if (this.socket !== socket) return;
    this.socket = null;
    if (this.stopped) return;
    if (FINAL_CODES.has(code)) {
      this.stop();
      this.options.onStatus('ended');
      this.options.onEnded(code);
      return;
    }
    const delay = code === GOING_AWAY ? 0 : Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** this.attempt);
    this.attempt += 1;
    this.options.onStatus(navigator.onLine ? 'reconnecting' : 'offline');
    this.timer = setTimeout(() => this.connect(), delay);
  }
}

/** @param {WebSocket} socket @param {object} frame */
function send(socket, frame) {
  if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
}
