// Key rotation's re-encryption (admin/reencrypt.ts) of OpenID Connect client secrets, and of TOTP
// secrets through the same loop, on a real PostgreSQL.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { generateKeySpec, parseKeyRing, SecretBox } from '../../../common/src/secret-box.ts';
import { addOidcClient, rotateOidcClientSecret } from '../../src/admin/oidc-clients.ts';
import { reencryptOidcClientSecrets, reencryptTotpSecrets } from '../../src/admin/reencrypt.ts';
import { openClientSecret } from '../../src/lib/oidc-client-secrets.ts';
import { sealTotpSecret, totpAssociatedData } from '../../src/lib/totp-secrets.ts';
import { OidcClientsRepository } from '../../src/repositories/oidc-clients.ts';
import { TotpRepository } from '../../src/repositories/totp.ts';
import { migratedDatabase } from '../helpers/migrated-database.ts';

const [key1] = parseKeyRing(generateKeySpec('1')) as [{ id: string; key: Buffer }];
const [key2] = parseKeyRing(generateKeySpec('2')) as [{ id: string; key: Buffer }];
const oldBox = new SecretBox([key1]);
const rotating = new SecretBox([key2, key1]);
const newOnly = new SecretBox([key2]);
const redirectUris = ['https://app.example/cb'];

describe('re-encryption under a new key', async () => {
  const { db } = await migratedDatabase({ after });
  const clients = new OidcClientsRepository(db);
  const keyIds = async () =>
    (
      await db.query<{ name: string; key_id: string | null }>(
        `SELECT name, split_part(secret_envelope, '.', 2) AS key_id FROM oidc_clients ORDER BY name`,
      )
    ).rows.map((row) => [row.name, row.key_id]);

  it('every client secret ends under the current key and opens to the same secret without the old key', async () => {
    const secrets = new Map<string, string>();
    for (let i = 0; i < 7; i += 1) {
      const { client, clientSecret } = await addOidcClient(clients, oldBox, `app-${i}`, { redirectUris });
      secrets.set(client.clientId, clientSecret as string);
    }
    await addOidcClient(clients, undefined, 'spa', { redirectUris, public: true });

    const report = await reencryptOidcClientSecrets(clients, rotating, 3);
    assert.deepEqual(report, { reencrypted: 7, unreadable: [] });
    assert.deepEqual(await keyIds(), [
      ...Array.from({ length: 7 }, (_, i) => [`app-${i}`, '2']),
      ['spa', null],
    ]);
    for (const [clientId, secret] of secrets) {
      const row = await clients.findById(clientId);
      assert.equal(openClientSecret(newOnly, clientId, row?.secretEnvelope as string), secret);
    }
    assert.equal(
      (await clients.findByName('spa'))?.secretEnvelope,
      null,
      'a public client stays without secret',
    );
    assert.deepEqual(await reencryptOidcClientSecrets(clients, rotating), { reencrypted: 0, unreadable: [] });
  });

  it('a secret that opens under no key is reported and left as it is; the others are re-encrypted', async () => {
    const moved = await addOidcClient(clients, oldBox, 'moved', { redirectUris });
    const fine = await addOidcClient(clients, oldBox, 'fine', { redirectUris });
    // Another client's envelope copied into this row: it does not authenticate here.
    await db.query('UPDATE oidc_clients SET secret_envelope = $2 WHERE client_id = $1', [
      moved.client.clientId,
      fine.client.secretEnvelope,
    ]);
    const report = await reencryptOidcClientSecrets(clients, rotating, 1);
    assert.deepEqual(report, { reencrypted: 1, unreadable: [moved.client.clientId] });
    assert.equal((await clients.findByName('moved'))?.secretEnvelope, fine.client.secretEnvelope);
    const fineRow = await clients.findByName('fine');
    assert.equal(
      openClientSecret(newOnly, fine.client.clientId, fineRow?.secretEnvelope as string),
      fine.clientSecret,
    );
    await clients.remove('moved');
  });

  it('a secret rotated while the re-encryption runs is not overwritten (compare-and-set)', async () => {
    const { client } = await addOidcClient(clients, oldBox, 'racing', { redirectUris });
    let rotated: string | undefined;
    const racing = Object.create(clients) as OidcClientsRepository;
    racing.notSealedUnder = async (keyId, limit) => {
      const rows = await clients.notSealedUnder(keyId, limit);
      // The operator rotates the secret between the read and the swap (replicas seal under key 2).
      rotated ??= (await rotateOidcClientSecret(clients, rotating, 'racing'))?.clientSecret;
      return rows;
    };
    const report = await reencryptOidcClientSecrets(racing, rotating);
    assert.deepEqual(report, { reencrypted: 0, unreadable: [] });
    assert.ok(rotated);
    const row = await clients.findById(client.clientId);
    assert.equal(openClientSecret(newOnly, client.clientId, row?.secretEnvelope as string), rotated);
  });

  it('TOTP secrets go through the same loop: re-sealed under the new key, bound to their row', async () => {
    const totp = new TotpRepository(db);
    const userId = randomUUID();
    await db.query(
      `INSERT INTO users (id, username, username_key, password_hash) VALUES ($1, 'reenc', 'reenc', 'x')`,
      [userId],
    );
    const ids = [randomUUID(), randomUUID()];
    for (const [i, id] of ids.entries())
      await db.query('INSERT INTO totp_credentials (id, user_id, secret_envelope) VALUES ($1, $2, $3)', [
        id,
        userId,
        sealTotpSecret(oldBox, id, userId, `SECRET${i}`),
      ]);
    assert.deepEqual(await reencryptTotpSecrets(totp, rotating, 1), { reencrypted: 2, unreadable: [] });
    for (const [i, id] of ids.entries()) {
      const { rows } = await db.query('SELECT secret_envelope FROM totp_credentials WHERE id = $1', [id]);
      const envelope = rows[0]?.secret_envelope as string;
      assert.equal(SecretBox.keyIdOf(envelope), '2');
      assert.equal(newOnly.open(envelope, totpAssociatedData(id, userId)).toString('utf8'), `SECRET${i}`);
    }
  });
});
