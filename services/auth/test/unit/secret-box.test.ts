import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateKeySpec, parseKeyRing, SecretBox, SecretBoxError } from '../../../common/src/secret-box.ts';

describe('secret box (AES-256-GCM under a key ring)', () => {
  const ring = parseKeyRing(`${generateKeySpec('2')},${generateKeySpec('1')}`);
  const box = new SecretBox(ring);

  it('round-trips with the same associated data', () => {
    const sealed = box.seal('JBSWY3DPEHPK3PXP', 'row-1');
    assert.equal(box.open(sealed, 'row-1').toString(), 'JBSWY3DPEHPK3PXP');
    assert.ok(!sealed.includes('JBSWY3DPEHPK3PXP'));
  });

  it('refuses a ciphertext moved to another row', () => {
    const sealed = box.seal('secret', 'row-1');
    assert.throws(() => box.open(sealed, 'row-2'), SecretBoxError);
  });

  it('refuses a tampered ciphertext', () => {
    const sealed = box.seal('secret', 'row-1');
    const parts = sealed.split('.');
    const body = Buffer.from(parts[3] as string, 'base64url');
    body[0] = (body[0] as number) ^ 1;
    parts[3] = body.toString('base64url');
    assert.throws(() => box.open(parts.join('.'), 'row-1'), SecretBoxError);
  });

  it('encrypts with the first key and decrypts with any key of the ring', () => {
    const older = new SecretBox([ring[1] as (typeof ring)[number]]);
    const sealedByOld = older.seal('secret', 'row');
    assert.equal(SecretBox.keyIdOf(sealedByOld), '1');
    assert.equal(box.open(sealedByOld, 'row').toString(), 'secret');
    assert.equal(SecretBox.keyIdOf(box.seal('secret', 'row')), '2');
  });

  it('uses a fresh IV each time', () => {
    assert.notEqual(box.seal('same', 'row'), box.seal('same', 'row'));
  });

  it('fails clearly on an unknown key or a malformed envelope', () => {
    const alone = new SecretBox(parseKeyRing(generateKeySpec('9')));
    assert.throws(() => alone.open(box.seal('x', 'r'), 'r'), /unknown key id "2"/);
    for (const bad of ['', 'v1', 'v2.1.a.b', 'v1.2.AAAA.AAAA', 'v1.2.a.b.c']) {
      assert.throws(() => box.open(bad, 'r'), SecretBoxError, bad);
    }
  });

  it('validates key ring specs', () => {
    assert.throws(() => parseKeyRing(''), /empty/);
    assert.throws(() => parseKeyRing('1:AAAA'), /32 bytes/);
    assert.throws(() => parseKeyRing(`${generateKeySpec('1')},${generateKeySpec('1')}`), /twice/);
    assert.throws(() => parseKeyRing('no-colon'), /id:base64key/);
  });
});
