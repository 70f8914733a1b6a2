// Pairing (PROTOCOL.md, "Pairing"): read the link the dashboard shows, make the device keys here,
// send only their public halves, and keep the private halves in this browser.
import { exportPublicKey, generateDeviceKeys, importChannelKey } from '../lib/device-crypto.js';
import { ApiError, postJson } from './api.js';

const TOKEN = /^[A-Za-z0-9_-]{20,200}$/;
const DEFAULT_PUSH_PATH = '/push/v1/connect';

/**
 * The token and the server's origin from `<origin>/phone/#pair=<token>` (or a bare token).
 * @param {string} text
 * @returns {{origin: string, token: string} | null}
 */
export function parsePairLink(text) {
  const trimmed = text.trim();
  if (TOKEN.test(trimmed)) return { origin: location.origin, token: trimmed };
  let url;
  try {
    url = new URL(trimmed);
  } catch {
    return null;
  }
  const token = new URLSearchParams(url.hash.slice(1)).get('pair');
  if (!token || !TOKEN.test(token) || !/^\/phone\/?$/.test(url.pathname)) return null;
  return { origin: url.origin, token };
}

/** A name to start from: the person can change it before pairing. */
export function defaultDeviceName() {
  const ua = navigator.userAgent;
  if (/\biPhone\b/.test(ua)) return 'iPhone';
  if (/\biPad\b/.test(ua)) return 'iPad';
  if (/\bAndroid\b/.test(ua)) return 'Android phone';
  return 'Phone';
}

/**
 * Registers this phone with the token and returns the record to store.
 * @param {string} token @param {string} name
 */
export async function pairDevice(token, name) {
  const keys = await generateDeviceKeys(false);
  const [signingKey, encryptionKey] = await Promise.all([
    exportPublicKey(keys.signing.publicKey),
    exportPublicKey(keys.encryption.publicKey),
  ]);
  let data;
  try {
    data = await postJson('/api/v1/devices', { pairingToken: token, name, signingKey, encryptionKey });
  } catch (error) {
    throw explain(error);
  }
  const pushPath = String(data?.pushPath ?? '');
  return {
    origin: location.origin,
    deviceId: data.device.id,
    name: data.device.name ?? name,
    username: data.account?.username ?? '',
    issuer: data.account?.issuer ?? 'Twofold',
    // Same origin only (the CSP allows nothing else), so only a path is taken from the server.
    pushPath: pushPath.startsWith('/push/') ? pushPath : DEFAULT_PUSH_PATH,
    createdAt: data.device.createdAt ?? new Date().toISOString(),
    signingKey: keys.signing.privateKey,
    encryptionKey: keys.encryption.privateKey,
    // Non-extractable, like the private keys: it checks that pushed messages come from the servers.
    channelKey: await importChannelKey(String(data.channelKey ?? '')),
    accounts: [],
    inbox: [],
    handled: [],
    removed: false,
  };
}

/** @param {unknown} error */
function explain(error) {
  if (!(error instanceof ApiError)) return error;
  if (error.code === 'pairing_expired') {
    return new ApiError(
      error.status,
      error.code,
      'This pairing link has expired or was already used. Start pairing again on your computer.',
    );
  }
  return error;
}
