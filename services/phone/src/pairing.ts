// Pairing (PROTOCOL.md "Pairing", step 2): make the device keys, register their public halves with
// the token from the link, and save the private halves with the device id.
import { access } from 'node:fs/promises';
import { exportPublicKey, generateDeviceKeys, importChannelKey } from '../public/lib/device-crypto.js';
import { PhoneRequestError, postJson } from './http.ts';
import { apiUrl, parsePairingLink } from './link.ts';
import { type DeviceKeys, exportPrivateJwk, type PhoneState, STATE_VERSION, saveState } from './state.ts';

export interface PairDeviceOptions {
  statePath: string;
  name: string;
  fetchTimeoutMs: number;
  server?: string;
  overwrite?: boolean;
}

export interface PairingResult {
  device: { id: string; name: string; createdAt: string };
  account: { username: string; issuer: string };
}

const EXPLAINED: Record<string, string> = {
  pairing_expired:
    'the pairing link has expired or was already used (links are single use and live 120 s): make a new one in the browser',
  rate_limited: 'too many pairing attempts: wait a minute and make a new link',
};

export async function pairDevice(
  link: string,
  options: PairDeviceOptions,
): Promise<{ state: PhoneState; keys: DeviceKeys; result: PairingResult }> {
  const { origin, token } = parsePairingLink(link, options.server);
  if (!options.overwrite && (await exists(options.statePath))) {
    throw new Error(
      `${options.statePath} already holds a phone: choose another state file (or overwrite it)`,
    );
  }
  const generated = await generateDeviceKeys(true);
  let answer: unknown;
  try {
    answer = await postJson(
      apiUrl(origin, '/api/v1/devices'),
      {
        pairingToken: token,
        name: options.name,
        signingKey: await exportPublicKey(generated.signing.publicKey),
        encryptionKey: await exportPublicKey(generated.encryption.publicKey),
      },
      options.fetchTimeoutMs,
    );
  } catch (error) {
    if (error instanceof PhoneRequestError && EXPLAINED[error.code]) {
      throw new PhoneRequestError(error.status, error.code, `pairing refused: ${EXPLAINED[error.code]}`);
    }
    throw error;
  }
  const result = pairingResult(answer);
  const channelKey = (answer as { channelKey?: unknown }).channelKey;
  if (typeof channelKey !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(channelKey)) {
    throw new PhoneRequestError(201, 'bad_response', 'the pairing answer carries no channel key');
  }
  const state: PhoneState = {
    version: STATE_VERSION,
    origin,
    deviceId: result.device.id,
    name: result.device.name || options.name,
    signingKey: await exportPrivateJwk(generated.signing.privateKey),
    encryptionKey: await exportPrivateJwk(generated.encryption.privateKey),
    channelKey,
    accounts: [],
    handled: [],
  };
  await saveState(options.statePath, state);
  return {
    state,
    keys: {
      signing: generated.signing.privateKey,
      encryption: generated.encryption.privateKey,
      channel: await importChannelKey(channelKey),
    },
    result,
  };
}

function pairingResult(answer: unknown): PairingResult {
  const { device, account } = (answer ?? {}) as Partial<PairingResult>;
  if (typeof device?.id !== 'string' || typeof account?.username !== 'string') {
    throw new PhoneRequestError(201, 'bad_response', `unexpected pairing answer: ${JSON.stringify(answer)}`);
  }
  return {
    device: { id: device.id, name: String(device.name ?? ''), createdAt: String(device.createdAt ?? '') },
    account: { username: account.username, issuer: String(account.issuer ?? '') },
  };
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
