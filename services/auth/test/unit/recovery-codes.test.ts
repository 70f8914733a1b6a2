import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashRecoveryCode, newRecoveryCodes, normalizeRecoveryCode } from '../../src/lib/recovery-codes.ts';
import { validateEmail, validateUsername } from '../../src/lib/usernames.ts';

describe('recovery codes', () => {
  it('makes ten distinct readable codes', () => {
    const codes = newRecoveryCodes();
    assert.equal(codes.length, 10);
    assert.equal(new Set(codes).size, 10);
    for (const code of codes) assert.match(code, /^[a-z2-9]{5}-[a-z2-9]{5}$/);
  });

  it('normalises case, spaces and dashes to the same hash', () => {
    const [code] = newRecoveryCodes() as [string];
    const typed = ` ${code.toUpperCase().replace('-', ' ')} `;
    assert.deepEqual(
      hashRecoveryCode(normalizeRecoveryCode(typed) as string),
      hashRecoveryCode(normalizeRecoveryCode(code) as string),
    );
    assert.equal(normalizeRecoveryCode('short'), undefined);
    assert.equal(normalizeRecoveryCode("'; DROP TABLE x"), undefined);
  });
});

describe('usernames and emails', () => {
  it('accepts the documented username shape only', () => {
    assert.deepEqual(validateUsername(' Alice.B-2 '), { ok: true, value: 'Alice.B-2' });
    for (const bad of ['ab', 'a'.repeat(33), 'alice smith', 'élodie', 'аlice', "x' OR '1'='1", '<script>']) {
      assert.equal(validateUsername(bad).ok, false, bad);
    }
  });

  it('accepts plausible emails and refuses the rest', () => {
    assert.equal(validateEmail('a@example.org').ok, true);
    for (const bad of ['a', 'a@b', 'a @b.c', `${'a'.repeat(250)}@b.co`])
      assert.equal(validateEmail(bad).ok, false, bad);
  });
});
