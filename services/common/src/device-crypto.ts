// The server's side of services/phone/PROTOCOL.md: reading device public keys, checking their
// signatures, sealing messages to a device. The phone's side is services/phone/public/lib/device-crypto.js.
import {
  createCipheriv,
  createHmac,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
  randomBytes,
  verify,
} from 'node:crypto';

export const AUTH_LABEL = 'twofold-push-auth-v1';
export const ANSWER_LABEL = 'twofold-push-answer-v1';
const SEAL_INFO = 'twofold-seal-v1';

export interface Sealed {
  epk: string;
  iv: string;
  ct: string;
  /** HMAC-SHA256 under the device's channel key: only the auth replicas (and the phone) know it. */
  mac: string;
}

export const SEAL_MAC_LABEL = 'twofold-seal-mac-v1';

/** A P-256 public key from SPKI DER; undefined for anything else (another curve, RSA, garbage). */
export function parseDevicePublicKey(spki: Buffer): KeyObject | undefined {
  try {
    const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
      return undefined;
    return key;
  } catch {
    return undefined;
  }
}

/** SPKI DER from base64url text, or undefined if it is not a P-256 public key. */
export function decodeDevicePublicKey(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9_-]{40,400}$/.test(text)) return undefined;
  const der = Buffer.from(text, 'base64url');
  return parseDevicePublicKey(der) ? der : undefined;
}

/** Checks an ECDSA P-256/SHA-256 signature in WebCrypto's raw r||s form over `fields` joined by \n. */
export function verifyFields(publicKey: KeyObject, fields: string[], signature: string): boolean {
  if (!/^[A-Za-z0-9_-]{80,100}$/.test(signature)) return false;
  return verify(
    'sha256',
    Buffer.from(fields.join('\n'), 'utf8'),
    { key: publicKey, dsaEncoding: 'ieee-p1363' },
    Buffer.from(signature, 'base64url'),
  );
}

/**
 * Seals a JSON payload to a device's ECDH key: a fresh ephemeral key per message, HKDF-SHA256 over
 * the shared secret (salt: the ephemeral public key), AES-256-GCM bound to the device id. Anyone
 * holding the device's public key could seal to it, so the result is also MACed under the device's
 * channel key: a message forged by whoever can write to Redis or sits in the gateway is refused.
 */
export function sealFor(
  encryptionKey: KeyObject,
  deviceId: string,
  payload: unknown,
  channelKey: Buffer,
): Sealed {
  const ephemeral = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const epk = ephemeralPoint(ephemeral.publicKey);
  const shared = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: encryptionKey });
  const key = Buffer.from(hkdfSync('sha256', shared, epk, SEAL_INFO, 32));
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(deviceId, 'utf8'));
  const ct = Buffer.concat([
    cipher.update(JSON.stringify(payload), 'utf8'),
    cipher.final(),
    cipher.getAuthTag(),
  ]);
  const sealed = {
    epk: epk.toString('base64url'),
    iv: iv.toString('base64url'),
    ct: ct.toString('base64url'),
  };
  return { ...sealed, mac: sealMac(channelKey, deviceId, sealed) };
}

export function sealMac(channelKey: Buffer, deviceId: string, sealed: Omit<Sealed, 'mac'>): string {
  return createHmac('sha256', channelKey)
    .update([SEAL_MAC_LABEL, deviceId, sealed.epk, sealed.iv, sealed.ct].join('\n'))
    .digest('base64url');
}

/** The raw uncompressed point (0x04||x||y) WebCrypto imports as 'raw', from the JWK coordinates. */
function ephemeralPoint(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: 'jwk' });
  return Buffer.concat([
    Buffer.from([4]),
    Buffer.from(jwk.x ?? '', 'base64url'),
    Buffer.from(jwk.y ?? '', 'base64url'),
  ]);
}
