// `twofold clients add|list|rotate-secret|remove` against this test's database, sealing with a key
// ring file as the replicas' own: in this process (deploy/src/cli.ts `main`), and once as the binary.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { twofold, twofoldInProcess } from '../../../../test/support/twofold-cli.ts';
import { generateKeySpec, parseKeyRing, SecretBox, SecretBoxError } from '../../../common/src/secret-box.ts';
import { openClientSecret } from '../../src/lib/oidc-client-secrets.ts';
import { OidcClientsRepository } from '../../src/repositories/oidc-clients.ts';
import { migratedDatabase } from '../helpers/migrated-database.ts';

const CLIENT_ID = /^client_id: ([A-Za-z0-9_-]{22})$/m;
const SECRET = /^client_secret: ([A-Za-z0-9_-]{43})$/m;

describe('twofold clients', async () => {
  const { url, db } = await migratedDatabase({ after });
  const repo = new OidcClientsRepository(db);
  const dir = await mkdtemp(path.join(tmpdir(), 'twofold-clients-'));
  after(() => rm(dir, { recursive: true, force: true }));
  const keySpec = `${generateKeySpec('7')},${generateKeySpec('6')}`;
  const keysFile = path.join(dir, 'encryption-keys');
  await writeFile(keysFile, `${keySpec}\n`, { mode: 0o600 });
  const box = new SecretBox(parseKeyRing(keySpec));

  const cli = (...args: string[]) =>
    twofoldInProcess([...args, '--database-url', url, '--keys-file', keysFile]);
  const ok = async (...args: string[]) => {
    const result = await cli(...args);
    assert.equal(result.code, 0, `twofold ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  const listed = async () =>
    JSON.parse(await ok('clients', 'list', '--json')) as Array<Record<string, unknown>>;
  const secretOf = async (name: string) => {
    const row = await repo.findByName(name);
    return openClientSecret(box, row?.clientId as string, row?.secretEnvelope as string);
  };
  let webSecret = '';

  it('add prints the client_id and the secret once; the secret is stored sealed with the ring', async () => {
    const added = await ok(
      'clients',
      'add',
      'web',
      '--redirect-uri',
      'https://web.example/callback',
      '--redirect-uri',
      'http://localhost:3000/callback',
      '--post-logout-redirect-uri',
      'https://web.example/',
    );
    const clientId = CLIENT_ID.exec(added)?.[1];
    webSecret = SECRET.exec(added)?.[1] as string;
    assert.ok(clientId && webSecret, added);
    assert.match(added, /not shown again/);
    const row = await repo.findById(clientId);
    assert.equal(row?.name, 'web');
    assert.equal(SecretBox.keyIdOf(row?.secretEnvelope as string), '7', 'sealed with the first key');
    assert.equal(await secretOf('web'), webSecret);
    assert.deepEqual(
      [row?.redirectUris, row?.postLogoutRedirectUris, row?.scopes, row?.policy, row?.idTokenAlg],
      [
        ['https://web.example/callback', 'http://localhost:3000/callback'],
        ['https://web.example/'],
        ['openid', 'profile', 'email', 'offline_access'],
        'two_factor',
        'RS256',
      ],
    );
  });

  it('add --public: no secret, and a private-use scheme is allowed; options are stored as given', async () => {
    const added = await ok(
      ...['clients', 'add', 'phone-app', '--public', '--redirect-uri', 'com.example.app:/oauth/callback'],
      ...['--scope', 'openid', '--scope', 'email', '--policy', 'one_factor', '--id-token-alg', 'ES256'],
    );
    assert.match(added, CLIENT_ID);
    assert.doesNotMatch(added, /client_secret/);
    assert.match(added, /public client: no secret; it must use PKCE/);
    const row = await repo.findByName('phone-app');
    assert.deepEqual(
      [row?.secretEnvelope, row?.redirectUris, row?.scopes, row?.policy, row?.idTokenAlg],
      [null, ['com.example.app:/oauth/callback'], ['openid', 'email'], 'one_factor', 'ES256'],
    );
  });

  it('list shows the clients, never a secret nor its envelope', async () => {
    const table = await ok('clients', 'list');
    assert.match(table, /^NAME\s+CLIENT_ID\s+TYPE\s+POLICY\s+ALG\s+SCOPES\s+REDIRECT URIS\s+CREATED/);
    assert.match(table, /^phone-app\s+\S{22}\s+public\s+one_factor\s+ES256\s+openid,email\s+com\.example/m);
    assert.match(
      table,
      /^web\s+\S{22}\s+confidential\s+two_factor\s+RS256\s+openid,profile,email,offline_access\s/m,
    );
    const json = await listed();
    assert.deepEqual(
      json.map((client) => [client.name, client.type]),
      [
        ['phone-app', 'public'],
        ['web', 'confidential'],
      ],
    );
    const envelope = (await repo.findByName('web'))?.secretEnvelope as string;
    for (const output of [table, JSON.stringify(json)]) {
      assert.ok(!output.includes(webSecret) && !output.includes(envelope.split('.')[3] as string));
      assert.doesNotMatch(output, /secret/i);
    }
  });

  it('rotate-secret prints a new secret; the old one no longer opens; a public client is refused', async () => {
    const clientId = (await repo.findByName('web'))?.clientId as string;
    const byName = SECRET.exec(await ok('clients', 'rotate-secret', 'web'))?.[1];
    const byId = SECRET.exec(await ok('clients', 'rotate-secret', clientId))?.[1];
    assert.ok(byName && byId && byName !== byId && byName !== webSecret);
    assert.equal(await secretOf('web'), byId);
    assert.notEqual(await secretOf('web'), webSecret);

    const refused = await cli('clients', 'rotate-secret', 'phone-app');
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /phone-app is public: it has no secret/);
    assert.equal((await repo.findByName('phone-app'))?.secretEnvelope, null);
  });

  it('bad input is a usage error (exit 2) naming what is wrong, and changes nothing', async () => {
    const add = ['clients', 'add', 'new-app'];
    const uri = ['--redirect-uri', 'https://new.example/cb'];
    for (const [args, message] of [
      [['clients', 'add', 'Bad Name', ...uri], /client name "Bad Name": 1 to 32 characters/],
      [add, /1 to 20 redirect URIs, got 0/],
      [[...add, '--redirect-uri', 'http://new.example/cb'], /http only on a loopback host/],
      [[...add, '--redirect-uri', 'https://new.example/cb#top'], /no fragment/],
      [[...add, '--redirect-uri', 'https://me:pw@new.example/cb'], /no user:password@/],
      [[...add, '--redirect-uri', 'com.example.app:/cb'], /public clients \(--public\) only/],
      [[...add, ...uri, '--post-logout-redirect-uri', 'callback'], /post-logout redirect URI "callback"/],
      [[...add, ...uri, '--scope', 'profile'], /must include openid/],
      [[...add, ...uri, '--scope', 'openid', '--scope', 'phone'], /scope "phone": one of/],
      [[...add, ...uri, '--policy', 'three_factor'], /one_factor or two_factor/],
      [[...add, ...uri, '--id-token-alg', 'HS256'], /RS256 or ES256/],
      [[...add, ...uri, '--json'], /usage/],
      [['clients', 'list', 'extra'], /usage/],
      [['clients', 'remove', 'web', '--scope', 'openid'], /usage/],
      [['clients', 'rotate-secret'], /usage/],
      [['clients', 'rename', 'web'], /usage/],
      [['clients', 'remove', "web' OR '1'='1"], /a client name or a client_id/],
    ] as const) {
      const result = await cli(...args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stdout}${result.stderr}`);
      assert.match(result.stderr, message, args.join(' '));
    }
    const noRing = await twofoldInProcess(['clients', 'add', 'new-app', ...uri, '--database-url', url]);
    assert.equal(noRing.code, 2, noRing.stderr);
    assert.match(noRing.stderr, /with --database-url, name the key ring of that cluster with --keys-file/);
    assert.deepEqual(
      (await listed()).map((client) => client.name),
      ['phone-app', 'web'],
    );
  });

  it('a taken name, an unknown client or an unreadable key ring fail (exit 1)', async () => {
    const uri = ['--redirect-uri', 'https://new.example/cb'];
    for (const [args, message] of [
      [['clients', 'add', 'web', ...uri], /a client named web exists already/],
      [['clients', 'remove', 'nope'], /no client named nope or with that client_id/],
      [['clients', 'rotate-secret', 'nope'], /no client named nope/],
    ] as const) {
      const result = await cli(...args);
      assert.equal(result.code, 1, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message);
    }
    const missing = path.join(dir, 'missing');
    const result = await twofoldInProcess([
      'clients',
      'add',
      'new-app',
      ...uri,
      '--database-url',
      url,
      '--keys-file',
      missing,
    ]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /cannot read the key ring .*missing/);
    assert.equal(await repo.findByName('new-app'), undefined);
  });

  it('a cluster that is not running is named, before any key ring is read', async () => {
    const result = await twofold(['clients', 'rotate-secret', 'web', '--data-dir', path.join(dir, 'none')])
      .done;
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /no cluster is running from .*none/);
  });

  it('remove takes a name or a client_id; the secret is gone with the client', async () => {
    const phone = (await repo.findByName('phone-app'))?.clientId as string;
    const envelope = (await repo.findByName('web'))?.secretEnvelope as string;
    assert.match(await ok('clients', 'remove', 'web'), /removed web/);
    assert.match(await ok('clients', 'remove', phone), /removed/);
    assert.match(await ok('clients', 'list'), /no client registered/);
    const left = await db.query('SELECT count(*)::int AS n FROM oidc_clients');
    assert.equal(left.rows[0]?.n, 0);
    assert.throws(() => openClientSecret(box, phone, envelope), SecretBoxError, 'bound to its own client');
  });

  it('a client_id starting with "-" (new ids never do) is removed after "--"', async () => {
    const clientId = '-legacy0123456789_abc';
    await repo.add({
      clientId,
      name: 'legacy',
      secretEnvelope: null,
      redirectUris: ['https://legacy.example/callback'],
      postLogoutRedirectUris: [],
      scopes: ['openid'],
      policy: 'two_factor',
      idTokenAlg: 'RS256',
    });
    const options = ['--database-url', url, '--keys-file', keysFile];
    const result = await twofoldInProcess(['clients', 'remove', ...options, '--', clientId]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /removed/);
    assert.equal(await repo.findById(clientId), undefined);
  });
});
