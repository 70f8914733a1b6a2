// OpenID Connect clients as operators manage them (admin/oidc-clients.ts) and as the provider reads
// them (repositories/oidc-clients.ts), on a real PostgreSQL at the newest schema.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { generateKeySpec, parseKeyRing, SecretBox, SecretBoxError } from '../../../common/src/secret-box.ts';
import {
  addOidcClient,
  listOidcClients,
  PublicClientError,
  removeOidcClient,
  rotateOidcClientSecret,
} from '../../src/admin/oidc-clients.ts';
import { openClientSecret } from '../../src/lib/oidc-client-secrets.ts';
import { OidcClientExistsError, OidcClientsRepository } from '../../src/repositories/oidc-clients.ts';
import { migratedDatabase } from '../helpers/migrated-database.ts';

const box = new SecretBox(parseKeyRing(generateKeySpec('1')));
const web = { redirectUris: ['https://web.example/cb'], postLogoutRedirectUris: ['https://web.example/'] };
const native = {
  redirectUris: ['com.example.app:/cb', 'http://127.0.0.1/cb'],
  public: true,
  scopes: ['openid'],
};

describe('OpenID Connect clients', async () => {
  const { db } = await migratedDatabase({ after });
  const repo = new OidcClientsRepository(db);
  const envelopeOf = async (clientId: string) =>
    (await db.query('SELECT secret_envelope FROM oidc_clients WHERE client_id = $1', [clientId])).rows[0]
      ?.secret_envelope as string | null | undefined;

  it('add: a confidential client gets a random client_id and a secret that opens back from its row only', async () => {
    const { client, clientSecret } = await addOidcClient(repo, box, 'web', web);
    assert.match(client.clientId, /^[A-Za-z0-9_-]{22}$/);
    assert.match(clientSecret as string, /^[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(
      { ...client, createdAt: undefined, secretEnvelope: undefined },
      {
        clientId: client.clientId,
        name: 'web',
        secretEnvelope: undefined,
        redirectUris: ['https://web.example/cb'],
        postLogoutRedirectUris: ['https://web.example/'],
        scopes: ['openid', 'profile', 'email', 'offline_access'],
        policy: 'two_factor',
        idTokenAlg: 'RS256',
        createdAt: undefined,
      },
    );
    assert.ok(client.createdAt instanceof Date);
    const stored = (await envelopeOf(client.clientId)) as string;
    assert.equal(stored, client.secretEnvelope);
    assert.ok(!stored.includes(clientSecret as string), 'stored sealed, not in clear');
    assert.equal(openClientSecret(box, client.clientId, stored), clientSecret);
    assert.throws(() => openClientSecret(box, 'AAAAAAAAAAAAAAAAAAAAAA', stored), SecretBoxError);
    // A character well inside the ciphertext (the last one may carry only padding bits).
    const at = stored.length - 10;
    const tampered = `${stored.slice(0, at)}${stored[at] === 'A' ? 'B' : 'A'}${stored.slice(at + 1)}`;
    assert.throws(() => openClientSecret(box, client.clientId, tampered), SecretBoxError);
  });

  it('add: a public client has no secret (and needs no key ring); a taken name is refused', async () => {
    const { client, clientSecret } = await addOidcClient(repo, undefined, 'native', native);
    assert.equal(clientSecret, undefined);
    assert.equal(client.secretEnvelope, null);
    assert.equal(await envelopeOf(client.clientId), null);
    assert.deepEqual([client.redirectUris, client.scopes], [native.redirectUris, ['openid']]);
    await assert.rejects(addOidcClient(repo, box, 'native', web), OidcClientExistsError);
    await assert.rejects(addOidcClient(repo, undefined, 'web2', web), /needs the key ring/);
    assert.deepEqual(
      (await repo.list()).map((row) => row.name),
      ['native', 'web'],
    );
  });

  it('add again of the very same row (a retry after a failover) is a success, not a conflict', async () => {
    const row = await repo.findByName('web');
    assert.ok(row);
    assert.deepEqual(await repo.add(row), row);
  });

  it('findById, findByName and find: by exact id or name; anything malformed is undefined, not an error', async () => {
    const webRow = await repo.findByName('web');
    assert.ok(webRow);
    assert.deepEqual(await repo.findById(webRow.clientId), webRow);
    assert.deepEqual(await repo.find(webRow.clientId), webRow);
    assert.deepEqual(await repo.find('web'), webRow);
    const oneOff = webRow.clientId.replace(/.$/, (last) => (last === 'A' ? 'B' : 'A'));
    assert.equal(await repo.findById(oneOff), undefined);
    assert.equal(await repo.findById('web'), undefined, 'a name is no client_id');
    for (const id of ['', "' OR 1=1 --", `${'a'.repeat(20)}\u0000`, 'A'.repeat(65), '€'.repeat(20)]) {
      assert.equal(await repo.findById(id), undefined, JSON.stringify(id));
      assert.equal(await repo.findByName(id), undefined, JSON.stringify(id));
      assert.equal(await repo.find(id), undefined, JSON.stringify(id));
    }
    assert.equal(await repo.findById(undefined as unknown as string), undefined);
    assert.equal(await repo.findById('AAAAAAAAAAAAAAAAAAAAAA'), undefined);
  });

  it('list shows every client and never a secret', async () => {
    const listed = await listOidcClients(repo);
    assert.deepEqual(
      listed.map((client) => [client.name, client.type]),
      [
        ['native', 'public'],
        ['web', 'confidential'],
      ],
    );
    assert.ok(listed.every((client) => !('secretEnvelope' in client)));
  });

  it('rotate-secret: the new secret opens, the old one no longer does; a public client is refused', async () => {
    const before = (await repo.findByName('web')) as { clientId: string; secretEnvelope: string };
    const old = openClientSecret(box, before.clientId, before.secretEnvelope);
    const rotated = await rotateOidcClientSecret(repo, box, before.clientId);
    assert.ok(rotated);
    assert.equal(rotated.client.clientId, before.clientId);
    const stored = (await envelopeOf(before.clientId)) as string;
    assert.notEqual(stored, before.secretEnvelope);
    assert.equal(openClientSecret(box, before.clientId, stored), rotated.clientSecret);
    assert.notEqual(openClientSecret(box, before.clientId, stored), old);
    const again = await rotateOidcClientSecret(repo, box, 'web');
    assert.notEqual(again?.clientSecret, rotated.clientSecret);

    await assert.rejects(rotateOidcClientSecret(repo, box, 'native'), PublicClientError);
    const nativeRow = await repo.findByName('native');
    assert.equal(nativeRow?.secretEnvelope, null, 'still public');
    assert.equal(
      await repo.replaceSecret(nativeRow?.clientId as string, stored),
      false,
      'never made confidential',
    );
    assert.equal(await rotateOidcClientSecret(repo, box, 'nobody'), undefined);
    assert.equal(await repo.replaceSecret('AAAAAAAAAAAAAAAAAAAAAA', stored), false);
    assert.equal(await repo.replaceSecret('x', stored), false);
  });

  it("remove: by name or client_id, in one go with the client's grants and refresh tokens, no one else's", async () => {
    const doomed = await addOidcClient(repo, box, 'doomed', web);
    const [webId, doomedId] = [(await repo.findByName('web'))?.clientId, doomed.client.clientId];
    const artifact = (kind: string, id: string, clientId: string | null) =>
      db.query(
        `INSERT INTO oidc_artifacts (kind, id, payload, grant_id, account_id, client_id)
         VALUES ($1, $2, '{}', 'g', 'u', $3)`,
        [kind, id, clientId],
      );
    await artifact('Grant', 'g-doomed', doomedId);
    await artifact('RefreshToken', 'r-doomed', doomedId);
    await artifact('Grant', 'g-web', webId as string);
    await artifact('RefreshToken', 'r-none', null);
    const artifacts = async () =>
      (await db.query('SELECT id FROM oidc_artifacts ORDER BY id')).rows.map((row) => row.id);

    assert.equal(await removeOidcClient(repo, 'doomed'), true);
    assert.equal(await repo.findById(doomedId), undefined);
    assert.deepEqual(await artifacts(), ['g-web', 'r-none']);
    assert.equal(await removeOidcClient(repo, 'doomed'), false);
    assert.equal(await repo.remove(`${'a'.repeat(20)}\u0000`), false);

    assert.equal(await removeOidcClient(repo, webId as string), true, 'by client_id');
    assert.deepEqual(await artifacts(), ['r-none']);
    assert.deepEqual(
      (await repo.list()).map((row) => row.name),
      ['native'],
    );
  });

  it("remove and find take a name first: a name may have the form of another client's client_id", async () => {
    const lookalike = 'abcdefghijklmnopqrstuv';
    const { client: other } = await addOidcClient(repo, undefined, 'other', native);
    await repo.add({ ...other, clientId: lookalike, name: 'byid' });
    const named = await addOidcClient(repo, undefined, lookalike, native);
    assert.equal((await repo.find(lookalike))?.clientId, named.client.clientId);
    assert.equal(await repo.remove(lookalike), true);
    assert.equal((await repo.findById(lookalike))?.name, 'byid', 'the client with that id stays');
    assert.equal(await repo.remove(lookalike), true, 'now by client_id');
    assert.equal(await repo.findById(lookalike), undefined);
  });
});
