import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { generateSecret, generateSync } from 'otplib';
import { decodeDevicePublicKey, sealFor, verifyFields } from '../../../common/src/device-crypto.ts';
import {
  exportPublicKey,
  generateDeviceKeys,
  importChannelKey,
  openSealed,
  signAnswer,
  signAuth,
  totpCode,
} from '../../public/lib/device-crypto.js';

const keyOf = (text: string) => {
  const der = decodeDevicePublicKey(text);
  assert.ok(der, 'the phone exports a P-256 SPKI key the server accepts');
  return createPublicKey({ key: der, format: 'der', type: 'spki' });
};

test('a phone signature verifies on the server, and only for the fields it signed', async () => {
  const keys = await generateDeviceKeys(false);
  const publicKey = keyOf(await exportPublicKey(keys.signing.publicKey));
  const signature = await signAuth(keys.signing.privateKey, 'dev-1', 'nonce-1');
  assert.equal(verifyFields(publicKey, ['twofold-push-auth-v1', 'dev-1', 'nonce-1'], signature), true);
  assert.equal(verifyFields(publicKey, ['twofold-push-auth-v1', 'dev-1', 'nonce-2'], signature), false);
  // The same fields under another label (another purpose) do not verify.
  assert.equal(verifyFields(publicKey, ['twofold-push-answer-v1', 'dev-1', 'nonce-1'], signature), false);
  const answer = { challengeId: 'c', deviceId: 'dev-1', decision: 'approve' as const, number: 42 };
  const answerSignature = await signAnswer(keys.signing.privateKey, answer);
  assert.equal(
    verifyFields(publicKey, ['twofold-push-answer-v1', 'c', 'dev-1', 'approve', '42'], answerSignature),
    true,
  );
  assert.equal(
    verifyFields(publicKey, ['twofold-push-answer-v1', 'c', 'dev-1', 'approve', '43'], answerSignature),
    false,
  );
  assert.equal(verifyFields(publicKey, ['x'], 'not a signature!'), false);
});

test('a message sealed by the server opens on the device it was sealed to, and nowhere else', async () => {
  const keys = await generateDeviceKeys(false);
  const encryptionKey = keyOf(await exportPublicKey(keys.encryption.publicKey));
  const channelKey = randomBytes(32);
  const macKey = await importChannelKey(channelKey.toString('base64url'));
  const payload = { type: 'code', code: '123456', username: 'zoë' };
  const sealed = sealFor(encryptionKey, 'dev-1', payload, channelKey);
  assert.deepEqual(await openSealed(keys.encryption.privateKey, 'dev-1', sealed, macKey), payload);
  // Bound to the device id, and to the device's key.
  await assert.rejects(openSealed(keys.encryption.privateKey, 'dev-2', sealed, macKey));
  const other = await generateDeviceKeys(false);
  await assert.rejects(openSealed(other.encryption.privateKey, 'dev-1', sealed, macKey));
  // Each seal uses a fresh ephemeral key: the same payload never seals the same twice.
  assert.notEqual(sealFor(encryptionKey, 'dev-1', payload, channelKey).ct, sealed.ct);
});

test('a message sealed by anyone without the channel key (Redis, the gateway) is refused', async () => {
  const keys = await generateDeviceKeys(false);
  const encryptionKey = keyOf(await exportPublicKey(keys.encryption.publicKey));
  const macKey = await importChannelKey(randomBytes(32).toString('base64url'));
  const forged = sealFor(encryptionKey, 'dev-1', { type: 'login', choices: [10, 10, 10] }, randomBytes(32));
  await assert.rejects(openSealed(keys.encryption.privateKey, 'dev-1', forged, macKey), /Twofold servers/);
  const { mac: _mac, ...bare } = forged;
  await assert.rejects(
    openSealed(keys.encryption.privateKey, 'dev-1', { ...bare, mac: '' }, macKey),
    /Twofold servers/,
  );
});

test('keys that are not P-256 public keys are refused', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({
    format: 'der',
    type: 'spki',
  });
  const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey.export({
    format: 'der',
    type: 'spki',
  });
  assert.equal(decodeDevicePublicKey(rsa.toString('base64url')), undefined);
  assert.equal(decodeDevicePublicKey(p384.toString('base64url')), undefined);
  assert.equal(decodeDevicePublicKey('A'.repeat(120)), undefined);
  assert.equal(decodeDevicePublicKey("'; DROP TABLE devices; --"), undefined);
});

test('the phone computes the same TOTP codes as the server (otplib), at every step', async () => {
  const secret = generateSecret({ length: 20 });
  for (let i = 0; i < 20; i++) {
    const at = 1_700_000_000_000 + i * 30_000 + 7_000;
    assert.equal(await totpCode({ secret }, at), generateSync({ secret, epoch: Math.floor(at / 1000) }));
  }
});

test('RFC 6238 SHA1 test vector', async () => {
  // The RFC's 20-byte ASCII key "12345678901234567890" in base32, 8 digits at T=59 s.
  const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
  assert.equal(await totpCode({ secret, digits: 8 }, 59_000), '94287082');
});
