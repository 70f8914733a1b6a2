// The CLI phone's state file: its device keys (private JWK, since a terminal has no IndexedDB),
// the accounts pushed to it and the ids of the messages it has handled.
import type { webcrypto } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { importChannelKey } from '../public/lib/device-crypto.js';

export type CryptoKey = webcrypto.CryptoKey;
export type JsonWebKey = webcrypto.JsonWebKey;

export const STATE_VERSION = 2;
/** Enough to recognise every message still queued for a device; older ids are never resent. */
export const HANDLED_LIMIT = 200;

export interface Account {
  userId: string;
  username: string;
  issuer: string;
  secret: string;
  algorithm: string;
  digits: number;
  period: number;
}

export interface PhoneState {
  version: number;
  origin: string;
  deviceId: string;
  name: string;
  signingKey: JsonWebKey;
  encryptionKey: JsonWebKey;
  /** The key pushed messages' MACs are checked with (base64url), from the pairing answer. */
  channelKey: string;
  accounts: Account[];
  handled: string[];
}

export interface DeviceKeys {
  signing: CryptoKey;
  encryption: CryptoKey;
  channel: CryptoKey;
}

export class StateFileError extends Error {
  override name = 'StateFileError';
}

/** Writes the state through a temp file and a rename, so a crash never leaves half a file. */
export async function saveState(statePath: string, state: PhoneState): Promise<void> {
  await mkdir(path.dirname(statePath), { recursive: true, mode: 0o700 });
  const temp = `${statePath}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const file = await open(temp, 'wx', 0o600);
  try {
    await file.writeFile(`${JSON.stringify(state, null, 2)}\n`);
    await file.sync();
  } finally {
    await file.close();
  }
  try {
    await rename(temp, statePath);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

export async function loadState(statePath: string): Promise<PhoneState> {
  let text: string;
  try {
    text = await readFile(statePath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new StateFileError(
        `no phone state at ${statePath}: pair first (twofold phone pair <link> --state FILE)`,
      );
    }
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new StateFileError(`${statePath} is not JSON, so not a phone state file`);
  }
  const problem = stateProblem(parsed);
  if (problem) throw new StateFileError(`${statePath} is not a usable phone state file: ${problem}`);
  return parsed as PhoneState;
}

function stateProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'not an object';
  const state = value as Record<string, unknown>;
  if (state.version !== STATE_VERSION) return `version ${String(state.version)}, expected ${STATE_VERSION}`;
  for (const field of ['origin', 'deviceId', 'name', 'channelKey']) {
    if (typeof state[field] !== 'string' || state[field] === '') return `${field} missing`;
  }
  for (const field of ['signingKey', 'encryptionKey']) {
    const jwk = state[field] as JsonWebKey | undefined;
    if (typeof jwk !== 'object' || jwk === null || jwk.kty !== 'EC' || typeof jwk.d !== 'string') {
      return `${field} is not a private EC JWK`;
    }
  }
  if (!Array.isArray(state.accounts) || !state.accounts.every(isAccount)) return 'accounts malformed';
  if (!Array.isArray(state.handled) || !state.handled.every((id) => typeof id === 'string')) {
    return 'handled malformed';
  }
  return undefined;
}

export function isAccount(value: unknown): value is Account {
  if (typeof value !== 'object' || value === null) return false;
  const account = value as Record<string, unknown>;
  return (
    ['userId', 'username', 'issuer', 'secret', 'algorithm'].every(
      (field) => typeof account[field] === 'string',
    ) &&
    Number.isInteger(account.digits) &&
    Number.isInteger(account.period) &&
    (account.period as number) > 0
  );
}

/** The WebCrypto keys the phone signs and opens messages with, from the saved JWKs. */
export async function importDeviceKeys(
  state: Pick<PhoneState, 'signingKey' | 'encryptionKey' | 'channelKey'>,
): Promise<DeviceKeys> {
  const { subtle } = globalThis.crypto;
  const signing = await subtle.importKey(
    'jwk',
    state.signingKey,
    { name: 'ECDSA', namedCurve: 'P-256' },
    false,
    ['sign'],
  );
  const encryption = await subtle.importKey(
    'jwk',
    state.encryptionKey,
    { name: 'ECDH', namedCurve: 'P-256' },
    false,
    ['deriveBits'],
  );
  return { signing, encryption, channel: await importChannelKey(state.channelKey) };
}

export async function exportPrivateJwk(key: CryptoKey): Promise<JsonWebKey> {
  return globalThis.crypto.subtle.exportKey('jwk', key);
}

/** Remembers a handled message id, keeping only the most recent HANDLED_LIMIT. */
export function rememberHandled(handled: string[], id: string, limit = HANDLED_LIMIT): string[] {
  const next = handled.filter((known) => known !== id);
  next.push(id);
  return next.length > limit ? next.slice(next.length - limit) : next;
}

/** Adds an account, or replaces the one of the same user (a re-enrolment pushes a new secret). */
export function upsertAccount(accounts: Account[], account: Account): Account[] {
  return [...accounts.filter((known) => known.userId !== account.userId), account];
}
