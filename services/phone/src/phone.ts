// A headless phone: pairs like the PWA, keeps its keys and accounts in a JSON file, listens on the
// push gateway and answers login prompts. Used by `twofold phone` and, in-process, by tests.
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { openSealed, secondsLeft, signAuth, totpCode } from '../public/lib/device-crypto.js';
import {
  type AnswerBody,
  type AnswerOutcome,
  type Decision,
  postAnswerBody,
  signAnswerBody,
} from './answers.ts';
import { DEFAULT_FETCH_TIMEOUT_MS } from './http.ts';
import { pushUrl } from './link.ts';
import { type LoginPrompt, type MessageFrame, type PushedCode, parsePhoneMessage } from './messages.ts';
import { type PairingResult, pairDevice } from './pairing.ts';
import {
  type AccountCode,
  type HandleResult,
  type PairOptions,
  type PhoneEvents,
  type PhoneOptions,
  PushClosedError,
} from './phone-types.ts';
import { type CloseInfo, PushConnection } from './push-connection.ts';
import {
  type Account,
  type DeviceKeys,
  importDeviceKeys,
  loadState,
  type PhoneState,
  rememberHandled,
  saveState,
  upsertAccount,
} from './state.ts';

export type { AnswerBody, AnswerOutcome, Decision } from './answers.ts';
export { PhoneRequestError } from './http.ts';
export type { AccountCode, HandleResult, PairOptions, PhoneEvents, PhoneOptions } from './phone-types.ts';
export { PushClosedError } from './phone-types.ts';
export type { Account, CloseInfo, LoginPrompt, MessageFrame, PairingResult, PushedCode };

export class Phone extends EventEmitter<PhoneEvents> {
  /** Set by Phone.pair: what the server answered. */
  pairing: PairingResult | undefined;
  private connection: PushConnection | undefined;
  private currentReplica: string | undefined;
  private commits: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly statePath: string,
    private state: PhoneState,
    private readonly keys: DeviceKeys,
    readonly fetchTimeoutMs: number,
  ) {
    super();
  }

  static async load(statePath: string, options: PhoneOptions = {}): Promise<Phone> {
    const state = await loadState(statePath);
    const keys = await importDeviceKeys(state);
    return new Phone(statePath, state, keys, options.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS);
  }

  /** Pairs with `<origin>/phone/#pair=<token>` (or a bare token and `server`), saves the state. */
  static async pair(link: string, options: PairOptions): Promise<Phone> {
    const timeoutMs = options.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
    const name = options.name ?? `twofold phone on ${hostname()}`;
    const paired = await pairDevice(link, { ...options, name, fetchTimeoutMs: timeoutMs });
    const phone = new Phone(options.statePath, paired.state, paired.keys, timeoutMs);
    phone.pairing = paired.result;
    return phone;
  }

  get deviceId(): string {
    return this.state.deviceId;
  }
  get origin(): string {
    return this.state.origin;
  }
  get name(): string {
    return this.state.name;
  }
  get accounts(): Account[] {
    return this.state.accounts.map((account) => ({ ...account }));
  }
  get handled(): string[] {
    return [...this.state.handled];
  }
  /** The push replica holding the connection now (from its `ready`), if connected. */
  get replica(): string | undefined {
    return this.currentReplica;
  }

  /**
   * Connects to the push gateway and keeps reconnecting until close() or a final close code.
   * Resolves with the replica of the first `ready`; rejects with PushClosedError if the connection
   * ends for good before that.
   */
  connect(): Promise<string> {
    if (this.connection) return Promise.reject(new Error('the phone is already connected'));
    const connection = new PushConnection({
      url: pushUrl(this.state.origin),
      deviceId: this.state.deviceId,
      signAuth: (nonce) => signAuth(this.keys.signing, this.state.deviceId, nonce),
      handle: async (frame) => {
        await this.handleMessage(frame);
      },
      onReady: (replica) => {
        this.currentReplica = replica;
        this.emit('ready', replica);
      },
      onClose: (info) => {
        this.currentReplica = undefined;
        if (info.reconnectInMs === undefined && this.connection === connection) this.connection = undefined;
        // Removed from the account: its secrets no longer sign in, so `code` must stop showing them.
        if (info.code === 4403)
          void this.commit((state) => ({ ...state, accounts: [] })).catch((e) => this.report(e));
        this.emit('disconnected', info);
      },
      onError: (error) => this.report(error),
    });
    this.connection = connection;
    const firstReady = new Promise<string>((resolve, reject) => {
      const settle = () => {
        this.off('ready', onReady);
        this.off('disconnected', onDisconnected);
      };
      const onReady = (replica: string) => {
        settle();
        resolve(replica);
      };
      const onDisconnected = (info: CloseInfo) => {
        if (info.reconnectInMs !== undefined) return;
        settle();
        reject(new PushClosedError(info));
      };
      this.on('ready', onReady);
      this.on('disconnected', onDisconnected);
    });
    connection.start();
    return firstReady;
  }

  /**
   * The next emission of an event. Unlike events.once, a transient 'error' (a refused reconnect
   * while a replica is down) does not reject it; only the deadline does.
   */
  next<E extends Exclude<keyof PhoneEvents, 'error'>>(
    event: E,
    timeoutMs = 15_000,
  ): Promise<PhoneEvents[E][0]> {
    return new Promise((resolve, reject) => {
      const listener = (value: PhoneEvents[E][0]) => {
        clearTimeout(timer);
        resolve(value);
      };
      const timer = setTimeout(() => {
        this.off(event, listener as never);
        reject(new Error(`no ${event} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.once(event, listener as never);
    });
  }

  /** Stops reconnecting, closes the socket, waits for pending handling and saves. */
  async close(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    await connection?.stop();
    await this.commits;
  }

  /**
   * Handles one pushed message (the push connection calls this; tests may too): opens it, acts on
   * it, records its id. Resolves once the state is saved, i.e. when the message may be acknowledged.
   */
  async handleMessage(frame: MessageFrame, now = Date.now()): Promise<HandleResult> {
    if (this.state.handled.includes(frame.id)) return 'duplicate';
    let payload: unknown;
    try {
      payload = await openSealed(this.keys.encryption, this.state.deviceId, frame.sealed, this.keys.channel);
    } catch {
      // It can never open here (another device's key, or tampered): drop it rather than see it forever.
      this.report(new Error(`message ${frame.id} does not open with this device's key: dropped`));
      await this.commit((state) => ({ ...state, handled: rememberHandled(state.handled, frame.id) }));
      return 'dropped';
    }
    const message = parsePhoneMessage(payload);
    if (message?.type === 'account') {
      const { type: _, ...account } = message;
      await this.commit((state) => ({
        ...state,
        accounts: upsertAccount(state.accounts, account),
        handled: rememberHandled(state.handled, frame.id),
      }));
      this.emit('account', account);
      return 'account';
    }
    await this.commit((state) => ({ ...state, handled: rememberHandled(state.handled, frame.id) }));
    if (message?.type === 'login') {
      if (message.expiresAt <= now) return 'expired';
      const { type: _, ...prompt } = message;
      this.emit('prompt', prompt);
      return 'prompt';
    }
    if (message?.type === 'code') {
      const { type: _, ...code } = message;
      this.emit('code', code);
      return 'code';
    }
    this.report(new Error(`message ${frame.id} is not one this phone understands: dropped`));
    return 'dropped';
  }

  /** The exact body answer() posts; tests replay it. */
  signedAnswer(challengeId: string, decision: Decision, number: number): Promise<AnswerBody> {
    return signAnswerBody(this.keys.signing, {
      challengeId,
      deviceId: this.state.deviceId,
      decision,
      number,
    });
  }

  /** Posts an answer; throws PhoneRequestError (status, code) when the server refuses it. */
  postAnswer(body: AnswerBody): Promise<{ outcome: AnswerOutcome }> {
    return postAnswerBody(this.state.origin, body, this.fetchTimeoutMs);
  }

  /** Approves with the number the browser shows, or denies (number 0). */
  async answer(
    prompt: LoginPrompt | string,
    decision: Decision,
    number?: number,
  ): Promise<{ outcome: AnswerOutcome }> {
    if (decision === 'approve' && number === undefined) {
      throw new TypeError('approving needs the number the browser shows');
    }
    const challengeId = typeof prompt === 'string' ? prompt : prompt.challengeId;
    const body = await this.signedAnswer(challengeId, decision, decision === 'deny' ? 0 : (number as number));
    return this.postAnswer(body);
  }

  /** The current code of every account, computed offline. */
  async codes(now = Date.now()): Promise<AccountCode[]> {
    return Promise.all(
      this.state.accounts.map(async (account) => ({
        userId: account.userId,
        username: account.username,
        issuer: account.issuer,
        code: await totpCode(account, now),
        secondsLeft: secondsLeft(account.period, now),
      })),
    );
  }

  /** Applies a change to the state once it is on disk; changes run one after another. */
  private commit(change: (state: PhoneState) => PhoneState): Promise<void> {
    const next = this.commits.then(async () => {
      const changed = change(this.state);
      await saveState(this.statePath, changed);
      this.state = changed;
    });
    this.commits = next.catch(() => undefined);
    return next;
  }

  /** 'error' is only emitted to listeners: an unheard phone error must not crash a test process. */
  private report(error: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }
}
