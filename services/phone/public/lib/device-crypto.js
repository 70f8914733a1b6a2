// The phone's side of services/phone/PROTOCOL.md: device keys, signatures, opening sealed messages,
// TOTP codes. WebCrypto only, so the one file serves the PWA in a browser and the CLI phone in Node.
// TOTP is written out here (a few lines of RFC 6238) because the page has no bundler to ship otplib.

const subtle = globalThis.crypto.subtle;
const encoder = new TextEncoder();
const SIGNING = { name: 'ECDSA', namedCurve: 'P-256' };
const ENCRYPTION = { name: 'ECDH', namedCurve: 'P-256' };

export const AUTH_LABEL = 'twofold-push-auth-v1';
export const ANSWER_LABEL = 'twofold-push-answer-v1';
export const SEAL_INFO = 'twofold-seal-v1';
export const SEAL_MAC_LABEL = 'twofold-seal-mac-v1';

/**
 * The channel key the server gives at pairing, as an HMAC key that can only verify. The browser
 * keeps it non-extractable; the CLI phone keeps the text in its state file.
 * @param {string} text base64url, 32 bytes
 */
export function importChannelKey(text) {
  return subtle.importKey('raw', fromBase64Url(text), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
}

/** @param {Uint8Array} bytes */
export function toBase64Url(bytes) {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

/** @param {string} text */
export function fromBase64Url(text) {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new TypeError('not base64url');
  const binary = atob(text.replaceAll('-', '+').replaceAll('_', '/'));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/**
 * Two P-256 key pairs: one signs (ECDSA), one receives sealed messages (ECDH). The browser keeps
 * them non-extractable; the CLI phone must write them to its state file, so it asks for extractable.
 * @param {boolean} extractable
 */
export async function generateDeviceKeys(extractable) {
  const signing = await subtle.generateKey(SIGNING, extractable, ['sign', 'verify']);
  const encryption = await subtle.generateKey(ENCRYPTION, extractable, ['deriveBits']);
  return { signing, encryption };
}

/** The public half as the server takes it: SPKI DER, base64url. @param {CryptoKey} publicKey */
export async function exportPublicKey(publicKey) {
  return toBase64Url(new Uint8Array(await subtle.exportKey('spki', publicKey)));
}

/** @param {CryptoKey} privateKey @param {string[]} fields */
export async function signFields(privateKey, fields) {
  const signature = await subtle.sign(
    { name: 'ECDSA', hash: 'SHA-256' },
    privateKey,
    encoder.encode(fields.join('\n')),
  );
  return toBase64Url(new Uint8Array(signature));
}

/** @param {CryptoKey} signingKey @param {string} deviceId @param {string} nonce */
export const signAuth = (signingKey, deviceId, nonce) =>
  signFields(signingKey, [AUTH_LABEL, deviceId, nonce]);

/**
 * @param {CryptoKey} signingKey
 * @param {{challengeId: string, deviceId: string, decision: 'approve' | 'deny', number: number}} answer
 */
export const signAnswer = (signingKey, answer) =>
  signFields(signingKey, [
    ANSWER_LABEL,
    answer.challengeId,
    answer.deviceId,
    answer.decision,
    String(answer.number),
  ]);

/**
 * Opens a message sealed to this device (ECDH with the sender's ephemeral key, HKDF-SHA256,
 * AES-256-GCM with the device id as additional data), once its MAC under the channel key shows it
 * came from the auth servers. Throws if it did not, or was not sealed to this device.
 * @param {CryptoKey} encryptionKey the device's ECDH private key
 * @param {string} deviceId
 * @param {{epk: string, iv: string, ct: string, mac: string}} sealed
 * @param {CryptoKey} channelKey from importChannelKey
 */
export async function openSealed(encryptionKey, deviceId, sealed, channelKey) {
  const macText = [SEAL_MAC_LABEL, deviceId, sealed.epk, sealed.iv, sealed.ct].join('\n');
  const authentic = await subtle.verify(
    'HMAC',
    channelKey,
    fromBase64Url(String(sealed.mac ?? '')),
    encoder.encode(macText),
  );
  if (!authentic) throw new Error('this message does not come from the Twofold servers');
  const epk = fromBase64Url(sealed.epk);
  const ephemeral = await subtle.importKey('raw', epk, ENCRYPTION, false, []);
  const shared = await subtle.deriveBits({ name: 'ECDH', public: ephemeral }, encryptionKey, 256);
  const ikm = await subtle.importKey('raw', shared, 'HKDF', false, ['deriveKey']);
  const key = await subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: epk, info: encoder.encode(SEAL_INFO) },
    ikm,
    { name: 'AES-GCM', length: 256 },
    false,
    ['decrypt'],
  );
  const plain = await subtle.decrypt(
    { name: 'AES-GCM', iv: fromBase64Url(sealed.iv), additionalData: encoder.encode(deviceId) },
    key,
    fromBase64Url(sealed.ct),
  );
  return JSON.parse(new TextDecoder().decode(plain));
}

/** @param {string} secret RFC 4648 base32, case and spaces ignored */
export function fromBase32(secret) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const clean = secret.toUpperCase().replace(/[\s=]/g, '');
  const out = [];
  let bits = 0;
  let value = 0;
  for (const char of clean) {
    const index = alphabet.indexOf(char);
    if (index < 0) throw new TypeError('not base32');
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Uint8Array.from(out);
}

/**
 * The RFC 6238 code at a moment (HMAC-SHA1 by default, as the server enrols).
 * @param {{secret: string, digits?: number, period?: number, algorithm?: string}} account
 * @param {number} [now] epoch ms
 */
export async function totpCode(account, now = Date.now()) {
  const digits = account.digits ?? 6;
  const period = account.period ?? 30;
  const hash = (account.algorithm ?? 'SHA1').replace(/^SHA(\d)/, 'SHA-$1');
  const counter = Math.floor(now / 1000 / period);
  const message = new Uint8Array(8);
  new DataView(message.buffer).setBigUint64(0, BigInt(counter));
  const key = await subtle.importKey('raw', fromBase32(account.secret), { name: 'HMAC', hash }, false, [
    'sign',
  ]);
  const mac = new Uint8Array(await subtle.sign('HMAC', key, message));
  const offset = (mac[mac.length - 1] ?? 0) & 0x0f;
  const binary = new DataView(mac.buffer).getUint32(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/** Seconds left before the code changes. @param {number} [period] @param {number} [now] */
export const secondsLeft = (period = 30, now = Date.now()) => period - (Math.floor(now / 1000) % period);
