// A paired phone's state file made locally (no server), and sealing to it as the server does.
import { createPublicKey, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sealFor } from '../../../common/src/device-crypto.ts';
import { exportPublicKey, generateDeviceKeys } from '../../public/lib/device-crypto.js';
import type { MessageFrame } from '../../src/messages.ts';
import { exportPrivateJwk, type PhoneState, STATE_VERSION, saveState } from '../../src/state.ts';

export interface LocalPhone {
  dir: string;
  statePath: string;
  state: PhoneState;
  /** Seals a payload to this phone's encryption key, as the auth replicas do. */
  seal(payload: unknown, id?: string): MessageFrame;
  signingPublicKey: ReturnType<typeof createPublicKey>;
  cleanup(): Promise<void>;
}

let counter = 0;

export async function makeLocalPhone(deviceId = 'dev-1'): Promise<LocalPhone> {
  const dir = await mkdtemp(path.join(tmpdir(), 'twofold-phone-'));
  const statePath = path.join(dir, 'phone.json');
  const keys = await generateDeviceKeys(true);
  const channelKey = randomBytes(32);
  const state: PhoneState = {
    version: STATE_VERSION,
    origin: 'http://127.0.0.1:1',
    deviceId,
    name: 'test phone',
    signingKey: await exportPrivateJwk(keys.signing.privateKey),
    encryptionKey: await exportPrivateJwk(keys.encryption.privateKey),
    channelKey: channelKey.toString('base64url'),
    accounts: [],
    handled: [],
  };
  await saveState(statePath, state);
  const publicKey = async (key: CryptoKeyLike) =>
    createPublicKey({
      key: Buffer.from(await exportPublicKey(key), 'base64url'),
      format: 'der',
      type: 'spki',
    });
  const encryptionPublicKey = await publicKey(keys.encryption.publicKey);
  return {
    dir,
    statePath,
    state,
    seal: (payload, id = `1700000000000-${counter++}`) => ({
      type: 'message',
      id,
      expiresAt: Date.now() + 60_000,
      sealed: sealFor(encryptionPublicKey, deviceId, payload, channelKey),
    }),
    signingPublicKey: await publicKey(keys.signing.publicKey),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

type CryptoKeyLike = Parameters<typeof exportPublicKey>[0];
