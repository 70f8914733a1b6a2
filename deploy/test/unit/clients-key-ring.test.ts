import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { keyRingFile } from '../../src/commands/clients.ts';
import { UsageError } from '../../src/commands/command.ts';

describe('twofold clients: which key ring seals a client secret', () => {
  it("the data directory's, the one its replicas follow; or the file named", async () => {
    assert.equal(await keyRingFile({ 'data-dir': '/srv/twofold' }), '/srv/twofold/secrets/encryption-keys');
    assert.equal(await keyRingFile({ 'keys-file': 'ring' }), path.resolve('ring'));
    assert.equal(
      await keyRingFile({ 'database-url': 'postgres://x@db/twofold', 'keys-file': '/run/keys' }),
      '/run/keys',
    );
  });

  it('with --database-url, never a default one (it may be another cluster’s)', async () => {
    await assert.rejects(
      keyRingFile({ 'database-url': 'postgres://x@db/twofold', 'data-dir': '/srv/twofold' }),
      (error: unknown) => error instanceof UsageError && /--keys-file/.test(error.message),
    );
  });
});
