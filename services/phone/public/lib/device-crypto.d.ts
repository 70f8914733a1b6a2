// Types of device-crypto.js for the TypeScript that imports it (the CLI phone, tests).
export interface Sealed {
  epk: string;
  iv: string;
  ct: string;
  mac: string;
}
export interface DeviceKeys {
  signing: CryptoKeyPair;
  encryption: CryptoKeyPair;
}
export interface TotpAccount {
  secret: string;
  digits?: number;
  period?: number;
  algorithm?: string;
}
export interface Answer {
  challengeId: string;
  deviceId: string;
  decision: 'approve' | 'deny';
  number: number;
}
export const AUTH_LABEL: string;
export const ANSWER_LABEL: string;
export const SEAL_INFO: string;
export const SEAL_MAC_LABEL: string;
export function importChannelKey(text: string): Promise<CryptoKey>;
export function toBase64Url(bytes: Uint8Array): string;
export function fromBase64Url(text: string): Uint8Array;
export function generateDeviceKeys(extractable: boolean): Promise<DeviceKeys>;
export function exportPublicKey(publicKey: CryptoKey): Promise<string>;
export function signFields(privateKey: CryptoKey, fields: string[]): Promise<string>;
export function signAuth(signingKey: CryptoKey, deviceId: string, nonce: string): Promise<string>;
export function signAnswer(signingKey: CryptoKey, answer: Answer): Promise<string>;
export function openSealed(
  encryptionKey: CryptoKey,
  deviceId: string,
  sealed: Sealed,
  channelKey: CryptoKey,
): Promise<unknown>;
export function fromBase32(secret: string): Uint8Array;
export function totpCode(account: TotpAccount, now?: number): Promise<string>;
export function secondsLeft(period?: number, now?: number): number;
