// Security keys and passkeys (WebAuthn), on @simplewebauthn/server. Everything a browser sends is
// checked for shape and size here before the library sees it, and whatever the library throws on is
// a refusal: a malformed response is a failure value, never an exception. Only Redis and PostgreSQL
// failing propagate (as 503).
import { randomUUID } from 'node:crypto';
import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import type { WebAuthnConfig } from '../config-webauthn.ts';
import type {
  StoredWebAuthnCredential,
  WebAuthnCredentialsRepository,
  WebAuthnCredentialView,
} from '../repositories/webauthn-credentials.ts';
import { isChallenge, type WebAuthnChallenges } from './webauthn-challenges.ts';

/** Far above what authenticators send, far below what could cost anything to decode. */
const MAX_LENGTH = {
  credentialId: 1_364,
  clientDataJSON: 8_192,
  attestationObject: 16_384,
  authenticatorData: 8_192,
  signature: 2_048,
  userHandle: 88,
};
const KNOWN_TRANSPORTS = new Set(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb']);
/** What the account page shows for a key: 1 to 64 characters (code points), no control characters. */
const NAME = /^[^\p{Cc}]{1,64}$/u;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface WebAuthnUser {
  userId: string;
  username: string;
}

export type RegistrationResult =
  | { ok: true; credential: WebAuthnCredentialView }
  | { ok: false; reason: 'invalid' | 'too_many' | 'no_second_factor' };

export type SecondFactorResult = 'accepted' | 'rejected' | 'cloned';

export type PasskeyResult =
  | { ok: true; userId: string }
  | { ok: false; reason: 'rejected' }
  /** A genuine signature with its counter gone back: the key is suspended; whose it is, for the audit. */
  | { ok: false; reason: 'cloned'; userId: string };

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const base64url = (value: unknown, maxLength: number): value is string =>
  typeof value === 'string' && value.length <= maxLength && /^[A-Za-z0-9_-]+$/.test(value);

/** The challenge a browser's response claims to answer (from its clientDataJSON); undefined if none. */
export function challengeOf(response: unknown): string | undefined {
  if (!isRecord(response) || !isRecord(response.response)) return undefined;
  const clientDataJSON = response.response.clientDataJSON;
  if (!base64url(clientDataJSON, MAX_LENGTH.clientDataJSON)) return undefined;
  let clientData: unknown;
  try {
    clientData = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isRecord(clientData) || typeof clientData.challenge !== 'string') return undefined;
  // Our pages are never framed (frame-ancestors 'none'): an answer made inside a frame is not theirs.
  if (clientData.crossOrigin === true) return undefined;
  return isChallenge(clientData.challenge) ? clientData.challenge : undefined;
}

/** The credential's common fields, checked; undefined unless they have the shape browsers send. */
function credentialFields(response: unknown) {
  if (!isRecord(response) || !isRecord(response.response)) return undefined;
  const { id, rawId, type } = response;
  if (!base64url(id, MAX_LENGTH.credentialId) || rawId !== id || type !== 'public-key') return undefined;
  if (!base64url(response.response.clientDataJSON, MAX_LENGTH.clientDataJSON)) return undefined;
  return { id, inner: response.response, clientDataJSON: response.response.clientDataJSON };
}

/** A registration response with only the fields we checked; undefined for anything else. */
export function asRegistrationResponse(response: unknown): RegistrationResponseJSON | undefined {
  const fields = credentialFields(response);
  if (!fields || !base64url(fields.inner.attestationObject, MAX_LENGTH.attestationObject)) return undefined;
  const transports = fields.inner.transports;
  if (transports !== undefined && !(Array.isArray(transports) && transports.length <= 16)) return undefined;
  return {
    id: fields.id,
    rawId: fields.id,
    type: 'public-key',
    response: {
      clientDataJSON: fields.clientDataJSON,
      attestationObject: fields.inner.attestationObject,
      transports: [...new Set((transports ?? []).filter((t) => KNOWN_TRANSPORTS.has(t as string)))],
    },
    clientExtensionResults: {},
  };
}

/** An authentication response with only the fields we checked; undefined for anything else. */
export function asAuthenticationResponse(response: unknown): AuthenticationResponseJSON | undefined {
  const fields = credentialFields(response);
  if (!fields) return undefined;
  const { authenticatorData, signature, userHandle } = fields.inner;
  if (!base64url(authenticatorData, MAX_LENGTH.authenticatorData)) return undefined;
  if (!base64url(signature, MAX_LENGTH.signature)) return undefined;
  if (userHandle !== undefined && userHandle !== null && !base64url(userHandle, MAX_LENGTH.userHandle))
    return undefined;
  return {
    id: fields.id,
    rawId: fields.id,
    type: 'public-key',
    response: {
      clientDataJSON: fields.clientDataJSON,
      authenticatorData,
      signature,
      ...(typeof userHandle === 'string' ? { userHandle } : {}),
    },
    clientExtensionResults: {},
  };
}

/** The WebAuthn user handle: the 16 bytes of the account's uuid. */
export function userHandleOf(userId: string): Uint8Array<ArrayBuffer> {
  if (!UUID.test(userId)) throw new Error('a user id is a lower-case uuid');
  return new Uint8Array(Buffer.from(userId.replace(/-/g, ''), 'hex'));
}

/**
 * Whether a signature counter moved forward. Authenticators that keep no counter send 0 forever;
 * any other that sends a counter not above the one stored has been used elsewhere: a clone.
 */
export const counterAdvanced = (stored: number, received: number): boolean =>
  (stored === 0 && received === 0) || received > stored;

export class WebAuthn {
  constructor(
    private readonly config: WebAuthnConfig,
    private readonly credentials: WebAuthnCredentialsRepository,
    private readonly challenges: WebAuthnChallenges,
  ) {}

  /**
   * What navigator.credentials.create() needs to register a security key, or a passkey (a resident
   * key with user verification, which can later log in on its own). The user's keys are excluded,
   * so the same authenticator is not registered twice.
   */
  async registrationOptions(
    user: WebAuthnUser,
    { passkey, sessionId }: { passkey: boolean; sessionId: string },
  ): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const options = await generateRegistrationOptions({
      rpName: this.config.rpName,
      rpID: this.config.rpId,
      userName: user.username,
      userID: userHandleOf(user.userId),
      userDisplayName: user.username,
      attestationType: 'none',
      excludeCredentials: await this.credentials.listCredentialIdsForUser(user.userId),
      authenticatorSelection: passkey
        ? { residentKey: 'required', userVerification: 'required' }
        : { residentKey: 'discouraged', userVerification: 'preferred' },
    });
    await this.challenges.issue(options.challenge, 'registration', user.userId, { passkey, sessionId });
    return options;
  }

  /** Verifies what navigator.credentials.create() answered to registrationOptions, and keeps the key. */
  async register(
    user: WebAuthnUser,
    name: string,
    response: unknown,
    sessionId: string,
  ): Promise<RegistrationResult> {
    const invalid = { ok: false, reason: 'invalid' } as const;
    const label = typeof name === 'string' ? name.trim() : '';
    if (!NAME.test(label)) return invalid;
    const challenge = challengeOf(response);
    if (!challenge) return invalid;
    const grant = await this.challenges.take(challenge, 'registration');
    if (!grant || grant.userId !== user.userId || grant.sessionId !== sessionId) return invalid;
    const passkey = grant.passkey === true;
    const registration = asRegistrationResponse(response);
    if (!registration) return invalid;
    let info: Awaited<ReturnType<typeof verifyRegistrationResponse>>['registrationInfo'];
    try {
      const verification = await verifyRegistrationResponse({
        response: registration,
        expectedChallenge: challenge,
        expectedOrigin: this.config.origins,
        expectedRPID: this.config.rpId,
        requireUserVerification: passkey,
      });
      info = verification.verified ? verification.registrationInfo : undefined;
    } catch {
      return invalid;
    }
    if (!info) return invalid;
    const added = await this.credentials.add({
      id: randomUUID(),
      userId: user.userId,
      credentialId: info.credential.id,
      publicKey: info.credential.publicKey,
      counter: info.credential.counter,
      transports: registration.response.transports ?? [],
      name: label,
      discoverable: passkey,
      backupEligible: info.credentialDeviceType === 'multiDevice',
      backedUp: info.credentialBackedUp,
      aaguid: info.aaguid,
    });
    if (added === 'too_many') return { ok: false, reason: 'too_many' };
    if (added === 'no_second_factor') return { ok: false, reason: 'no_second_factor' };
    if (added === 'duplicate') return invalid;
    return { ok: true, credential: added };
  }

  /** What navigator.credentials.get() needs to confirm a login with one of the user's keys; undefined if they have none. */
  async secondFactorOptions(
    userId: string,
    sessionId: string,
  ): Promise<PublicKeyCredentialRequestOptionsJSON | undefined> {
    const allowCredentials = await this.credentials.listCredentialIdsForUser(userId);
    if (allowCredentials.length === 0) return undefined;
    const options = await generateAuthenticationOptions({
      rpID: this.config.rpId,
      allowCredentials,
      userVerification: 'preferred',
    });
    await this.challenges.issue(options.challenge, 'second-factor', userId, { sessionId });
    return options;
  }

  /** Checks an assertion answering secondFactorOptions(userId), made with one of that user's keys. */
  async verifySecondFactor(
    userId: string,
    response: unknown,
    sessionId: string,
  ): Promise<SecondFactorResult> {
    const challenge = challengeOf(response);
    if (!challenge) return 'rejected';
    const grant = await this.challenges.take(challenge, 'second-factor');
    if (!grant || grant.userId !== userId || grant.sessionId !== sessionId) return 'rejected';
    const assertion = asAuthenticationResponse(response);
    if (!assertion) return 'rejected';
    const credential = await this.credentials.findByCredentialId(assertion.id);
    if (!credential || credential.userId !== userId) return 'rejected';
    return this.checkAssertion(credential, assertion, challenge, false);
  }

  /** What navigator.credentials.get() needs for a passkey login: any discoverable credential, verified user. */
  async passkeyOptions(): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const options = await generateAuthenticationOptions({
      rpID: this.config.rpId,
      userVerification: 'required',
    });
    await this.challenges.issue(options.challenge, 'passkey');
    return options;
  }

  /** Whose passkey answered passkeyOptions(): a login on its own (possession and user verification). */
  async verifyPasskey(response: unknown): Promise<PasskeyResult> {
    const rejected = { ok: false, reason: 'rejected' } as const;
    const challenge = challengeOf(response);
    if (!challenge) return rejected;
    if (!(await this.challenges.take(challenge, 'passkey'))) return rejected;
    const assertion = asAuthenticationResponse(response);
    if (!assertion) return rejected;
    const credential = await this.credentials.findByCredentialId(assertion.id);
    if (!credential?.discoverable) return rejected;
    const owner = Buffer.from(userHandleOf(credential.userId)).toString('base64url');
    if (assertion.response.userHandle !== owner) return rejected;
    const outcome = await this.checkAssertion(credential, assertion, challenge, true);
    if (outcome === 'accepted') return { ok: true, userId: credential.userId };
    if (outcome === 'cloned') return { ok: false, reason: 'cloned', userId: credential.userId };
    return rejected;
  }

  /**
   * The signature first, then the counter. The library compares counters before it checks the
   * signature (and throws a bare Error either way); given 0 as the stored counter it never refuses
   * one, and we compare after: only a genuine signature can report a clone.
   */
  private async checkAssertion(
    credential: StoredWebAuthnCredential,
    assertion: AuthenticationResponseJSON,
    challenge: string,
    requireUserVerification: boolean,
  ): Promise<SecondFactorResult> {
    if (credential.cloned) return 'cloned';
    let info: Awaited<ReturnType<typeof verifyAuthenticationResponse>>['authenticationInfo'];
    try {
      const verification = await verifyAuthenticationResponse({
        response: assertion,
        expectedChallenge: challenge,
        expectedOrigin: this.config.origins,
        expectedRPID: this.config.rpId,
        credential: {
          id: credential.credentialId,
          publicKey: credential.publicKey,
          counter: 0,
          transports: credential.transports,
        },
        requireUserVerification,
      });
      if (!verification.verified) return 'rejected';
      info = verification.authenticationInfo;
    } catch {
      return 'rejected';
    }
    const recorded =
      counterAdvanced(credential.counter, info.newCounter) &&
      (await this.credentials.recordUse(credential.id, info.newCounter, info.credentialBackedUp));
    if (recorded) return 'accepted';
    // A genuine signature with a counter below the one stored: a copy of the key; neither copy is
    // trusted any more. (An equal counter is refused but suspends nothing: it is also what a retry of
    // recordUse through a database failover would see after its first try committed.)
    if (info.newCounter < credential.counter) await this.credentials.suspendAsCloned(credential.id);
    return 'cloned';
  }
}
