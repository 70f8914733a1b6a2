// A software WebAuthn authenticator for tests without a browser: ECDSA P-256 keys from node:crypto,
// attestation 'none', what navigator.credentials.create()/get() would hand @simplewebauthn/browser,
// already in its JSON form. Flags (UP, UV, BE, BS), the signature counter and the user handle can be
// set per call, so that tests can play a lazy authenticator, a cloned key or a forged handle.
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';

/**
 * The smallest CBOR encoder for what an authenticator writes: maps, byte and text strings, integers.
 * Hand-written rather than a dependency: only tests use it, and the shapes (a COSE key, an
 * attestation object) are tiny and fixed.
 */
export type Cbor = number | string | Uint8Array | Map<number | string, Cbor>;

function cborHead(major: number, value: number): Buffer {
  if (value < 24) return Buffer.from([(major << 5) | value]);
  if (value < 0x100) return Buffer.from([(major << 5) | 24, value]);
  if (value < 0x10000) return Buffer.from([(major << 5) | 25, value >> 8, value & 0xff]);
  const head = Buffer.alloc(5);
  head[0] = (major << 5) | 26;
  head.writeUInt32BE(value, 1);
  return head;
}

export function cbor(value: Cbor): Buffer {
  if (typeof value === 'number') return value >= 0 ? cborHead(0, value) : cborHead(1, -1 - value);
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([cborHead(3, bytes.length), bytes]);
  }
  if (value instanceof Uint8Array) return Buffer.concat([cborHead(2, value.length), value]);
  const parts = [cborHead(5, value.size)];
  for (const [key, item] of value) parts.push(cbor(key), cbor(item));
  return Buffer.concat(parts);
}

const b64url = (bytes: Uint8Array | string): string => Buffer.from(bytes).toString('base64url');
const sha256 = (data: Uint8Array | string): Buffer => createHash('sha256').update(data).digest();

export interface Flags {
  /** User present (touched the key). */
  up: boolean;
  /** User verified (PIN, fingerprint). */
  uv: boolean;
  /** Backup eligible: a synced passkey. */
  be: boolean;
  /** Backed up. */
  bs: boolean;
}

/** What an attacker (or a broken browser) can change in one ceremony. */
export interface Overrides {
  origin?: string;
  rpId?: string;
  challenge?: string;
  type?: string;
  flags?: Partial<Flags>;
}

export interface SoftCredential {
  id: Buffer;
  rpId: string;
  privateKey: KeyObject;
  /** The COSE_Key (EC2, ES256) as the attested credential data carries it. */
  publicKey: Buffer;
  /** What the next signature carries is one more (unless the authenticator keeps no counter). */
  signCount: number;
  /** base64url; only for resident keys (passkeys), which give it back at login. */
  userHandle?: string;
}

const AAGUID = Buffer.from('5f0c0a7e31644cfa8e7b1d3a2b4c5d6e', 'hex');

function authenticatorData(rpId: string, flags: Flags, signCount: number, attested?: Buffer): Buffer {
  const bits =
    (flags.up ? 0x01 : 0) |
    (flags.uv ? 0x04 : 0) |
    (flags.be ? 0x08 : 0) |
    (flags.bs ? 0x10 : 0) |
    (attested ? 0x40 : 0);
  const counter = Buffer.alloc(4);
  counter.writeUInt32BE(signCount >>> 0);
  return Buffer.concat([sha256(rpId), Buffer.from([bits]), counter, attested ?? Buffer.alloc(0)]);
}

function coseKey(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: 'jwk' });
  return cbor(
    new Map<number, Cbor>([
      [1, 2], // kty: EC2
      [3, -7], // alg: ES256
      [-1, 1], // crv: P-256
      [-2, Buffer.from(jwk.x as string, 'base64url')],
      [-3, Buffer.from(jwk.y as string, 'base64url')],
    ]),
  );
}

export class SoftAuthenticator {
  readonly credentials: SoftCredential[] = [];

  /**
   * @param origin where the "browser" is (what clientDataJSON says)
   * @param options.backup a synced passkey provider: BE and BS set
   * @param options.counter 'none': an authenticator that keeps no signature counter (always 0)
   */
  constructor(
    readonly origin: string,
    private readonly options: { backup?: boolean; counter?: 'none' } = {},
  ) {}

  private flags(userVerification: string | undefined, overrides: Partial<Flags> = {}): Flags {
    const backup = this.options.backup === true;
    return { up: true, uv: userVerification !== 'discouraged', be: backup, bs: backup, ...overrides };
  }

  private clientData(type: string, challenge: string, overrides: Overrides): string {
    return b64url(
      JSON.stringify({
        type: overrides.type ?? type,
        challenge: overrides.challenge ?? challenge,
        origin: overrides.origin ?? this.origin,
        crossOrigin: false,
      }),
    );
  }

  /** navigator.credentials.create(): a new credential, resident if the options require one. */
  register(
    options: PublicKeyCredentialCreationOptionsJSON,
    overrides: Overrides = {},
  ): RegistrationResponseJSON {
    const excluded = new Set((options.excludeCredentials ?? []).map((c) => c.id));
    if (this.credentials.some((c) => excluded.has(b64url(c.id)))) {
      throw new Error('InvalidStateError: this authenticator holds an excluded credential');
    }
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const selection = options.authenticatorSelection ?? {};
    const resident = selection.residentKey === 'required' || selection.requireResidentKey === true;
    const credential: SoftCredential = {
      id: randomBytes(32),
      rpId: overrides.rpId ?? options.rp.id ?? new URL(this.origin).hostname,
      privateKey,
      publicKey: coseKey(publicKey),
      signCount: 0,
      ...(resident ? { userHandle: options.user.id } : {}),
    };
    this.credentials.push(credential);
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(credential.id.length);
    const attested = Buffer.concat([AAGUID, idLength, credential.id, credential.publicKey]);
    const flags = this.flags(selection.userVerification, overrides.flags);
    const authData = authenticatorData(credential.rpId, flags, credential.signCount, attested);
    const attestationObject = cbor(
      new Map<string, Cbor>([
        ['fmt', 'none'],
        ['attStmt', new Map()],
        ['authData', authData],
      ]),
    );
    const id = b64url(credential.id);
    return {
      id,
      rawId: id,
      type: 'public-key',
      response: {
        clientDataJSON: this.clientData('webauthn.create', options.challenge, overrides),
        attestationObject: b64url(attestationObject),
        transports: ['usb', 'nfc'],
      },
      clientExtensionResults: {},
    };
  }

  /**
   * navigator.credentials.get(): an assertion by the first credential the options allow (or, with
   * no allow list, the first resident one), or by `use.credential`. `use.signCount` signs with that
   * counter instead of the next one (a clone), and leaves this authenticator's counter as it was.
   */
  authenticate(
    options: PublicKeyCredentialRequestOptionsJSON,
    overrides: Overrides & {
      credential?: SoftCredential;
      signCount?: number;
      userHandle?: string | null;
    } = {},
  ): AuthenticationResponseJSON {
    const allowed = new Set((options.allowCredentials ?? []).map((c) => c.id));
    const credential =
      overrides.credential ??
      this.credentials.find((c) =>
        allowed.size > 0 ? allowed.has(b64url(c.id)) : c.userHandle !== undefined,
      );
    if (!credential) throw new Error('NotAllowedError: no credential for these options');
    let signCount = overrides.signCount;
    if (signCount === undefined) {
      if (this.options.counter !== 'none') credential.signCount += 1;
      signCount = credential.signCount;
    }
    const flags = this.flags(options.userVerification, overrides.flags);
    const authData = authenticatorData(overrides.rpId ?? credential.rpId, flags, signCount);
    const clientDataJSON = this.clientData('webauthn.get', options.challenge, overrides);
    const signature = sign(
      'sha256',
      Buffer.concat([authData, sha256(Buffer.from(clientDataJSON, 'base64url'))]),
      credential.privateKey,
    );
    const userHandle = overrides.userHandle === undefined ? credential.userHandle : overrides.userHandle;
    const id = b64url(credential.id);
    return {
      id,
      rawId: id,
      type: 'public-key',
      response: {
        clientDataJSON,
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        ...(userHandle ? { userHandle } : {}),
      },
      clientExtensionResults: {},
    };
  }
}
