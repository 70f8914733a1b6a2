import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import { isImportableHash, PasswordHasher, PasswordHasherBusyError } from '../../src/lib/passwords.ts';

const OWASP = { memoryKiB: 19_456, timeCost: 2, parallelism: 1 };

// Made by the argon2 npm package (the C reference implementation) that Twofold used before
// @node-rs/argon2: 0.45.1 wrote the parameters as m,p,t, 0.44 as m,t,p. Stored hashes must verify.
const REFERENCE_HASH =
  '$argon2id$v=19$m=19456,p=1,t=2$HapKdZUOVm8OBhppxTjlxA$SB1l8ffMhmZjmfBuPS4zW+QdCCRq8XzOjyG2T57gFVE';
const REFERENCE_HASH_044 =
  '$argon2id$v=19$m=19456,t=2,p=1$M7Dxh0k7E4McyvuZHVSiNw$xl3+OKciWzUL52bpmsCEOO95CVxaBHO9W+3yrcthdHs';

describe('password hashing', () => {
  it('loads the native binding in a fresh process and hashes (a broken prebuilt binary crashes there, not here)', () => {
    const child = spawnSync(
      process.execPath,
      [
        '-e',
        "process.stdout.write(require('@node-rs/argon2').hashSync('x', { memoryCost: 8, timeCost: 1 }))",
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    assert.equal(child.signal, null, `loading @node-rs/argon2 killed node with ${child.signal}`);
    assert.equal(child.status, 0, child.stderr);
    assert.match(child.stdout, /^\$argon2id\$v=19\$m=8,t=1,p=1\$/);
  });

  it('makes argon2id PHC strings with the configured cost and a fresh salt', async () => {
    const hasher = new PasswordHasher(OWASP);
    const [first, second] = [
      await hasher.hash('correct horse battery'),
      await hasher.hash('correct horse battery'),
    ];
    assert.match(first, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    assert.notEqual(first, second);
    assert.ok(isImportableHash(first));
  });

  it('verifies the right password only, and hashes of the reference implementation', async () => {
    const hasher = new PasswordHasher(OWASP);
    const stored = await hasher.hash('correct horse battery');
    assert.equal(await hasher.verify(stored, 'correct horse battery'), true);
    assert.equal(await hasher.verify(stored, 'correct horse batterY'), false);
    assert.equal(await hasher.verify(REFERENCE_HASH, 'password123'), true);
    assert.equal(await hasher.verify(REFERENCE_HASH, 'password124'), false);
    assert.equal(await hasher.verify(REFERENCE_HASH_044, 'password123'), true);
    assert.ok(isImportableHash(REFERENCE_HASH) && isImportableHash(REFERENCE_HASH_044));
  });

  it('treats composed and decomposed accents as the same password (NFKC)', async () => {
    const hasher = new PasswordHasher(OWASP);
    const stored = await hasher.hash('caf\u00e9 au lait!');
    assert.equal(await hasher.verify(stored, 'cafe\u0301 au lait!'), true);
  });

  it('answers false, never throws, for a malformed stored hash', async () => {
    const hasher = new PasswordHasher(OWASP);
    for (const garbage of ['', '$argon2id$', '$argon2id$v=19$m=x', 'not a hash', '$2b$10$short']) {
      assert.equal(await hasher.verify(garbage, 'whatever password'), false, garbage);
    }
  });

  it('verifies imported bcrypt hashes against the password as typed', async () => {
    const hasher = new PasswordHasher(OWASP);
    const legacy = bcrypt.hashSync('legacy password', 4);
    assert.equal(await hasher.verify(legacy, 'legacy password'), true);
    assert.equal(await hasher.verify(legacy, 'legacy passwore'), false);
  });

  it('asks for a rehash when the stored cost differs from the configured one, or the hash is not argon2id', async () => {
    const hasher = new PasswordHasher(OWASP);
    assert.equal(hasher.needsRehash(await hasher.hash('some password')), false);
    assert.equal(hasher.needsRehash(REFERENCE_HASH), false);
    assert.equal(hasher.needsRehash(REFERENCE_HASH_044), false);
    const stronger = new PasswordHasher({ ...OWASP, memoryKiB: 47_104, timeCost: 1 });
    assert.equal(stronger.needsRehash(REFERENCE_HASH), true);
    assert.equal(new PasswordHasher({ ...OWASP, parallelism: 2 }).needsRehash(REFERENCE_HASH), true);
    assert.equal(hasher.needsRehash(bcrypt.hashSync('legacy password', 4)), true);
    assert.equal(hasher.needsRehash('$argon2id$garbage'), true);
  });

  it('sheds work past the pending bound at once, and takes new work once some finished', async () => {
    const hasher = new PasswordHasher(OWASP, 2);
    const first = [hasher.hash('first password'), hasher.verify(REFERENCE_HASH, 'password123')];
    assert.equal(hasher.pending, 2);
    await assert.rejects(hasher.hash('third password'), PasswordHasherBusyError);
    await assert.rejects(hasher.verifyDummy('fourth password'), PasswordHasherBusyError);
    await Promise.all(first);
    assert.equal(hasher.pending, 0);
    assert.match(await hasher.hash('fifth password'), /^\$argon2id\$/);
  });
});
