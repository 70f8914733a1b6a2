import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { matchTotpStep, newTotpSecret, normalizeCode, otpauthUri } from '../../src/lib/totp.ts';

// RFC 6238 appendix B, SHA1, seed "12345678901234567890" (base32 below). The RFC prints 8 digits;
// a 6-digit code is the same number modulo 10^6, so the last six digits are our codes.
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const RFC_VECTORS: Array<[number, string]> = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];

describe('TOTP (RFC 6238)', () => {
  for (const [seconds, eightDigits] of RFC_VECTORS) {
    it(`accepts the appendix B code at T=${seconds}, at its own step`, async () => {
      const step = await matchTotpStep(RFC_SECRET, eightDigits.slice(2), seconds * 1000);
      assert.equal(step, Math.floor(seconds / 30));
    });
  }

  it('accepts one step of clock skew either side, and no more', async () => {
    const code = '287082'; // valid for step 1 (T = 30..59)
    assert.equal(await matchTotpStep(RFC_SECRET, code, 59_000 + 30_000), 1);
    assert.equal(await matchTotpStep(RFC_SECRET, code, 59_000 - 30_000), 1);
    assert.equal(await matchTotpStep(RFC_SECRET, code, 59_000 + 60_000), undefined);
  });

  it('refuses a wrong code', async () => {
    assert.equal(await matchTotpStep(RFC_SECRET, '000000', 59_000), undefined);
  });

  it('makes 20-byte base32 secrets', () => {
    const secret = newTotpSecret();
    assert.match(secret, /^[A-Z2-7]{32}$/);
    assert.notEqual(secret, newTotpSecret());
  });

  it('builds the otpauth URI authenticator apps expect', () => {
    const uri = new URL(otpauthUri('Twofold', 'alice', 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP'));
    assert.equal(uri.protocol, 'otpauth:');
    assert.equal(uri.host, 'totp');
    assert.equal(decodeURIComponent(uri.pathname), '/Twofold:alice');
    assert.equal(uri.searchParams.get('issuer'), 'Twofold');
    assert.equal(uri.searchParams.get('secret'), 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP');
  });

  it('normalises typed codes and rejects anything but six digits', () => {
    assert.equal(normalizeCode(' 123 456 '), '123456');
    assert.equal(normalizeCode('123-456'), '123456');
    for (const bad of ['12345', '1234567', '12345a', '١٢٣٤٥٦', "1' OR 1=1", '']) {
      assert.equal(normalizeCode(bad), undefined, bad);
    }
  });
});
