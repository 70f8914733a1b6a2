// `twofold keys rotate` (deploy/src/key-rotation.ts) re-encrypts the OpenID Connect client secrets
// with the TOTP secrets: on a real PostgreSQL, with stand-in replicas that report the ring file's key
// ids in /readyz as the real ones do (the whole cluster's rotation is in keys-rotate-tests.ts).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { addOidcClient } from '../../services/auth/src/admin/oidc-clients.ts';
import { openClientSecret } from '../../services/auth/src/lib/oidc-client-secrets.ts';
import { sealTotpSecret } from '../../services/auth/src/lib/totp-secrets.ts';
import { OidcClientsRepository } from '../../services/auth/src/repositories/oidc-clients.ts';
import { migratedDatabase } from '../../services/auth/test/helpers/migrated-database.ts';
import { generateKeySpec, parseKeyRing, SecretBox } from '../../services/common/src/secret-box.ts';
import { rotateKeys } from '../src/key-rotation.ts';

describe('key rotation re-encrypts the OIDC client secrets', async () => {
  const { url, db } = await migratedDatabase({ after });
  const clients = new OidcClientsRepository(db);
  const dir = await mkdtemp(path.join(tmpdir(), 'twofold-rotation-'));
  after(() => rm(dir, { recursive: true, force: true }));
  const keysFile = path.join(dir, 'encryption-keys');
  await writeFile(keysFile, `${generateKeySpec('1')}\n`, { mode: 0o600 });
  const ring = async () => new SecretBox(parseKeyRing((await readFile(keysFile, 'utf8')).trim()));

  // Replicas that follow the ring file at once.
  const replicas = await Promise.all(
    [1, 2].map(async () => {
      const server = createServer(async (_request, response) => {
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify({ checks: { keyIds: (await ring()).keyIds } }));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      after(() => new Promise((resolve) => server.close(resolve)));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    }),
  );
  const rotate = (lines: string[]) =>
    rotateKeys({
      keysFile,
      authUrls: replicas,
      databaseUrl: url,
      settleMs: 0,
      timeoutMs: 10_000,
      log: (line) => lines.push(line),
    });

  it('every client secret and TOTP secret is re-sealed under the new key, then the old key goes', async () => {
    const box = await ring();
    const secrets = new Map<string, string>();
    for (const name of ['web', 'api']) {
      const { client, clientSecret } = await addOidcClient(clients, box, name, {
        redirectUris: ['https://app.example/cb'],
      });
      secrets.set(client.clientId, clientSecret as string);
    }
    await addOidcClient(clients, undefined, 'spa', {
      redirectUris: ['https://spa.example/cb'],
      public: true,
    });
    const userId = randomUUID();
    const credentialId = randomUUID();
    await db.query(
      `INSERT INTO users (id, username, username_key, password_hash) VALUES ($1, 'rot', 'rot', 'x')`,
      [userId],
    );
    await db.query('INSERT INTO totp_credentials (id, user_id, secret_envelope) VALUES ($1, $2, $3)', [
      credentialId,
      userId,
      sealTotpSecret(box, credentialId, userId, 'JBSWY3DPEHPK3PXP'),
    ]);

    const lines: string[] = [];
    const result = await rotate(lines);
    assert.deepEqual(result, {
      retired: ['1'],
      current: '2',
      reencrypted: 1,
      clientSecrets: 2,
      signingKeys: 0,
    });
    assert.ok(lines.includes('re-encrypted 2 OIDC client secret(s) under key 2'), lines.join('\n'));
    assert.ok(lines.includes('re-encrypted 1 TOTP secret(s) under key 2'), lines.join('\n'));
    const newRing = await ring();
    assert.deepEqual(newRing.keyIds, ['2']);
    for (const [clientId, secret] of secrets) {
      const row = await clients.findById(clientId);
      assert.equal(openClientSecret(newRing, clientId, row?.secretEnvelope as string), secret);
    }
    assert.equal((await clients.findByName('spa'))?.secretEnvelope, null);
  });

  it('a client secret that decrypts under no key stops the rotation before the old key is retired', async () => {
    const { client } = await addOidcClient(clients, await ring(), 'broken', {
      redirectUris: ['https://broken.example/cb'],
    });
    const web = await clients.findByName('web');
    await db.query('UPDATE oidc_clients SET secret_envelope = $2 WHERE client_id = $1', [
      client.clientId,
      web?.secretEnvelope,
    ]);
    await assert.rejects(rotate([]), /1 OIDC client secret\(s\) decrypt under no key \(.+\); old keys kept/);
    assert.deepEqual((await ring()).keyIds, ['3', '2'], 'the old key still decrypts');
    const webNow = await clients.findByName('web');
    assert.equal(SecretBox.keyIdOf(webNow?.secretEnvelope as string), '3', 'the readable ones moved on');
  });
});
