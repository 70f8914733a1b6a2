// A phone for the auth replica's integration tests: real device keys and signatures, and the real
// device stream in Redis, read directly (the push gateway's own tests cover the WebSocket leg).
import type { webcrypto } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { readPush } from '../../../common/src/push-queue.ts';
import {
  type DeviceKeys,
  exportPublicKey,
  generateDeviceKeys,
  importChannelKey,
  openSealed,
  type Sealed,
  signAnswer,
} from '../../../phone/public/lib/device-crypto.js';
import { expectStatus, PASSWORD, TestClient } from './client.ts';

export interface Prompt {
  type: 'login';
  challengeId: string;
  username: string;
  ip: string;
  userAgent: string;
  choices: number[];
  expiresAt: number;
  /** Set on an application's prompt (the verification API). */
  application?: string;
}

export class TestPhone {
  private constructor(
    private readonly app: FastifyInstance,
    readonly deviceId: string,
    private readonly keys: DeviceKeys,
    private readonly channelKey: webcrypto.CryptoKey,
  ) {}

  /**
   * Pairs through the API as a user would: the dashboard asks for a link (password and a second
   * factor: by default one of the user's recovery codes, so pairings in one TOTP step do not clash),
   * and the phone redeems it.
   */
  static async pair(
    app: FastifyInstance,
    user: { client: TestClient; recoveryCodes: string[] },
    options: { name?: string; code?: string } = {},
  ): Promise<TestPhone> {
    const browser = user.client;
    const name = options.name ?? 'Test phone';
    const code = options.code ?? user.recoveryCodes.pop();
    const pairing = expectStatus(
      await browser.post('/api/v1/devices/pairing', { password: PASSWORD, code }),
      200,
    ).json();
    const token = new URL(pairing.link).hash.replace('#pair=', '');
    const keys = await generateDeviceKeys(false);
    const paired = expectStatus(
      await new TestClient(app).post('/api/v1/devices', {
        pairingToken: token,
        name,
        signingKey: await exportPublicKey(keys.signing.publicKey),
        encryptionKey: await exportPublicKey(keys.encryption.publicKey),
      }),
      201,
    ).json();
    return new TestPhone(app, paired.device.id, keys, await importChannelKey(paired.channelKey));
  }

  get signingKey(): webcrypto.CryptoKey {
    return this.keys.signing.privateKey;
  }

  /** A message frame as the gateway sends it, opened with the device's key. */
  async open(frame: object): Promise<Record<string, unknown>> {
    const { sealed } = frame as { sealed: Sealed };
    return (await openSealed(
      this.keys.encryption.privateKey,
      this.deviceId,
      sealed,
      this.channelKey,
    )) as Record<string, unknown>;
  }

  /** Every live message in the device's stream, opened with the device's key. */
  async inbox(): Promise<Array<Record<string, unknown>>> {
    const { messages } = await readPush(this.app.redis, this.app.config.redisKeyPrefix, this.deviceId, '-');
    return Promise.all(
      messages.map(
        async (m) =>
          (await openSealed(
            this.keys.encryption.privateKey,
            this.deviceId,
            m.sealed,
            this.channelKey,
          )) as Record<string, unknown>,
      ),
    );
  }

  async prompt(challengeId: string): Promise<Prompt> {
    const found = (await this.inbox()).find((m) => m.type === 'login' && m.challengeId === challengeId);
    if (!found) throw new Error(`no prompt for challenge ${challengeId} in the device's stream`);
    return found as unknown as Prompt;
  }

  async signedAnswer(challengeId: string, decision: 'approve' | 'deny', number: number) {
    const answer = { challengeId, deviceId: this.deviceId, decision, number };
    return { ...answer, signature: await signAnswer(this.keys.signing.privateKey, answer) };
  }

  async answer(challengeId: string, decision: 'approve' | 'deny', number: number) {
    return new TestClient(this.app).post(
      '/api/v1/push/answers',
      await this.signedAnswer(challengeId, decision, number),
    );
  }
}
