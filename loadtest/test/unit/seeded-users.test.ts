import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadSeed, seededUser, seedKeyFile } from '../../seeded-users.ts';

describe('seeded users', () => {
  it('have credentials nobody can derive without the seed key (the seed name alone is public)', () => {
    const one = seededUser({ name: 's', key: randomBytes(32) }, 7);
    const other = seededUser({ name: 's', key: randomBytes(32) }, 7);
    assert.equal(one.username, other.username);
    assert.notEqual(one.password, other.password);
    assert.notEqual(one.totpSecret, other.totpSecret);
    assert.match(one.totpSecret, /^[A-Z2-7]{32}$/);
  });

  it('keep their key in the data directory, readable by its owner only, made once', async (t) => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'twofold-seed-key-'));
    t.after(() => rm(dataDir, { recursive: true, force: true }));
    await assert.rejects(loadSeed(dataDir, 's'), /run npm run loadtest:seed first/);
    const made = await loadSeed(dataDir, 's', true);
    assert.equal((await stat(seedKeyFile(dataDir, 's'))).mode & 0o777, 0o600);
    const again = await loadSeed(dataDir, 's', true);
    assert.deepEqual(again.key, made.key);
    assert.deepEqual(seededUser(again, 3), seededUser(made, 3));
  });
});
