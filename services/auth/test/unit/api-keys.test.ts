import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  generateApiKey,
  hashSecret,
  parseApiKey,
  secretMatches,
  verifyApiKey,
} from '../../src/lib/api-keys.ts';
import type { ApplicationRow } from '../../src/repositories/applications.ts';

const application: ApplicationRow = {
  id: '7c1f3b8e-8a55-4a8e-9a43-0d3c3c1d2e11',
  name: 'grafana',
  policy: 'two_factor',
  allowedUsers: [],
  allowedGroups: [],
  hosts: ['grafana.example'],
  createdAt: new Date(0),
  keyRotatedAt: null,
};

describe('API keys', () => {
  it('are tfk_<12 hex>_<32 random bytes, base64url>, different each time', () => {
    const first = generateApiKey();
    const second = generateApiKey();
    assert.match(first.key, /^tfk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    assert.notEqual(first.key, second.key);
    assert.notEqual(first.keyId, second.keyId);
    assert.equal(first.key.slice(4, 16), first.keyId);
    assert.equal(first.secretHash.length, 32, 'SHA-256');
  });

  it('parse into key id and secret; the stored hash is the SHA-256 of the secret', () => {
    const { key, keyId, secretHash } = generateApiKey();
    const parsed = parseApiKey(key);
    assert.ok(parsed);
    assert.equal(parsed.keyId, keyId);
    assert.deepEqual(hashSecret(parsed.secret), secretHash);
    assert.equal(secretMatches(parsed.secret, secretHash), true);
    const other = parsed.secret.endsWith('A') ? 'B' : 'A';
    assert.equal(secretMatches(`${parsed.secret.slice(0, -1)}${other}`, secretHash), false);
    assert.equal(secretMatches(parsed.secret, Buffer.alloc(16)), false, 'a hash of another length');
  });

  it('refuse anything that is not exactly a key', () => {
    const { key } = generateApiKey();
    for (const bad of [
      '',
      'tfk_',
      key.slice(0, -1),
      `${key}A`,
      ` ${key}`,
      `Bearer ${key}`,
      key.replace('tfk_', 'TFK_'),
      key.replace(/^tfk_[0-9a-f]{12}/, 'tfk_ABCDEFABCDEF'),
      `tfk_${'0'.repeat(12)}_${'a'.repeat(42)}=`,
      "tfk_' OR 1=1 --",
    ]) {
      assert.equal(parseApiKey(bad), undefined, bad);
    }
  });

  it('verifyApiKey gives the application for its current key only, without the hash', async () => {
    const current = generateApiKey();
    const lookups: string[] = [];
    const repo = {
      findByApiKeyId: async (keyId: string) => {
        lookups.push(keyId);
        return keyId === current.keyId ? { ...application, apiKeyHash: current.secretHash } : undefined;
      },
    };
    const found = await verifyApiKey(repo, current.key);
    assert.deepEqual(found, application);
    assert.equal(Object.hasOwn(found as object, 'apiKeyHash'), false);
    // Same key id, another secret (a guess, or the secret of a key since rotated under that id).
    const forged = `tfk_${current.keyId}_${generateApiKey().key.slice(17)}`;
    assert.equal(await verifyApiKey(repo, forged), undefined);
    assert.equal(await verifyApiKey(repo, generateApiKey().key), undefined, 'an unknown key id');
    const before = lookups.length;
    assert.equal(await verifyApiKey(repo, 'not a key'), undefined);
    assert.equal(lookups.length, before, 'a malformed key costs no lookup');
  });
});
