import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  LINK_CODE_ALPHABET,
  LINK_CODE_LENGTH,
  linkCodeKey,
  newLinkCode,
  normalizeLinkCode,
} from '../../src/lib/link-codes.ts';

describe('link codes', () => {
  it('are ten characters of an alphabet without look-alikes, shown as XXXXX-XXXXX', () => {
    assert.equal(LINK_CODE_LENGTH, 10);
    for (const lookAlike of '01ILOU') assert.ok(!LINK_CODE_ALPHABET.includes(lookAlike), lookAlike);
    const seen = new Set<string>();
    for (let i = 0; i < 2_000; i += 1) {
      const code = newLinkCode();
      assert.match(code, /^[A-Z2-9]{5}-[A-Z2-9]{5}$/);
      for (const c of code.replace('-', '')) assert.ok(LINK_CODE_ALPHABET.includes(c), c);
      seen.add(code);
    }
    assert.equal(seen.size, 2_000, 'no repeats');
  });

  it('are read as people type them: any case, spaces, a dash or none', () => {
    for (const typed of ['ABCDE-23456', 'abcde-23456', ' abcde 23456 ', 'ABCDE23456', 'ab cd e-2 3456']) {
      assert.equal(normalizeLinkCode(typed), 'ABCDE23456', typed);
    }
    for (const bad of [
      '',
      'ABCDE-2345',
      'ABCDE-234567',
      'ABCDE-2345O',
      'ABCDE_23456',
      'ABCDE-2345\u0000',
      'ÀBCDE-23456',
    ]) {
      assert.equal(normalizeLinkCode(bad), undefined, bad);
    }
  });

  it('are hashed under a key of their own, derived from the session secret', () => {
    const secret = 'x'.repeat(32);
    assert.deepEqual(linkCodeKey(secret), linkCodeKey(secret));
    assert.notDeepEqual(linkCodeKey(secret), linkCodeKey('y'.repeat(32)));
    assert.equal(linkCodeKey(secret).length, 32);
  });
});
