import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM envelope encryption under a key ring.
 * The newest key (first in the ring) encrypts; every key decrypts, so keys can rotate online.
 * The caller passes the row's identity as associated data: a ciphertext copied into another
 * row fails authentication instead of decrypting to someone else's secret.
 *
 * Envelope: `v1.<keyId>.<iv base64url>.<ciphertext+tag base64url>`
 */

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

export interface RingKey {
  id: string;
  key: Buffer;
}

export class SecretBoxError extends Error {
  override name = 'SecretBoxError';
}

/** Parses `id:base64key[,id:base64key...]`; the first key is the one that encrypts. */
export function parseKeyRing(spec: string): RingKey[] {
  const entries = spec
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
  if (entries.length === 0) throw new SecretBoxError('the key ring is empty');
  const seen = new Set<string>();
  return entries.map((entry, index) => {
    const separator = entry.indexOf(':');
    const id = separator > 0 ? entry.slice(0, separator) : '';
    if (!KEY_ID_PATTERN.test(id)) {
      throw new SecretBoxError(
        `key #${index + 1}: expected "id:base64key" with an id of letters, digits, _ or -`,
      );
    }
    if (seen.has(id)) throw new SecretBoxError(`key id "${id}" appears twice`);
    seen.add(id);
    const key = Buffer.from(entry.slice(separator + 1), 'base64');
    if (key.length !== KEY_BYTES) {
      throw new SecretBoxError(`key "${id}" must be ${KEY_BYTES} bytes of base64 (got ${key.length} bytes)`);
    }
    return { id, key };
  });
}

export function generateKeySpec(id: string): string {
  return `${id}:${randomBytes(KEY_BYTES).toString('base64')}`;
}

export class SecretBox {
  #keys: Map<string, Buffer> = new Map();
  #current!: RingKey;

  constructor(ring: RingKey[]) {
    this.reload(ring);
  }

  /** Swaps the whole ring at once (key rotation, online): the first key encrypts from now on. */
  reload(ring: RingKey[]): void {
    const [current] = ring;
    if (!current) throw new SecretBoxError('the key ring is empty');
    this.#current = current;
    this.#keys = new Map(ring.map((k) => [k.id, k.key]));
  }

  get currentKeyId(): string {
    return this.#current.id;
  }

  /** The ring's key ids, the encrypting one first. */
  get keyIds(): string[] {
    return [this.#current.id, ...[...this.#keys.keys()].filter((id) => id !== this.#current.id)];
  }

  seal(plaintext: Buffer | string, associatedData: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#current.key, iv);
    cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return [VERSION, this.#current.id, iv.toString('base64url'), body.toString('base64url')].join('.');
  }

  open(envelope: string, associatedData: string): Buffer {
    const [version, keyId, ivText, bodyText, extra] = envelope.split('.');
    if (version !== VERSION || !keyId || !ivText || !bodyText || extra !== undefined) {
      throw new SecretBoxError('malformed envelope');
    }
    const key = this.#keys.get(keyId);
    if (!key) throw new SecretBoxError(`unknown key id "${keyId}"`);
    const iv = Buffer.from(ivText, 'base64url');
    const body = Buffer.from(bodyText, 'base64url');
    if (iv.length !== IV_BYTES || body.length < TAG_BYTES) throw new SecretBoxError('malformed envelope');
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new SecretBoxError('ciphertext does not authenticate (wrong key, row or tampered data)');
    }
  }

  /** Key id that sealed an envelope, for rotation: anything not under the current key needs re-sealing. */
  static keyIdOf(envelope: string): string | undefined {
    return envelope.split('.')[1];
  }
}
