// Issue 10: `twofold apps add|list|set|rotate-key|remove|link|unlink` and `twofold users groups`, run as an
// operator runs them (deploy/src/cli.ts `main`, in this process: the cluster tests run the binary)
// against this test's database.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { twofoldInProcess } from '../../../../test/support/twofold-cli.ts';
import { verifyApiKey } from '../../src/lib/api-keys.ts';
import { buildTestApp, testConfig } from '../helpers/build-app.ts';
import { enrolledUser, expectStatus } from '../helpers/client.ts';

const KEY = /^api key: (tfk_\S+)$/m;

describe('twofold apps and twofold users groups', async () => {
  const config = await testConfig();
  const app = await buildTestApp({ after }, config);
  const cli = (...args: string[]) => twofoldInProcess([...args, '--database-url', config.databaseUrl]);
  const ok = async (...args: string[]) => {
    const result = await cli(...args);
    assert.equal(result.code, 0, `twofold ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  const listed = async () => JSON.parse(await ok('apps', 'list', '--json')) as Array<Record<string, unknown>>;

  it('add prints the API key once; list shows the rest, never the key', async () => {
    const added = await ok(
      'apps',
      'add',
      'whoami',
      '--host',
      'App1.Example',
      '--host',
      'app1.example',
      '--host',
      'app2.example',
      '--policy',
      'one_factor',
      '--allow-group',
      'staff',
    );
    const key = KEY.exec(added)?.[1] as string;
    assert.match(key, /^tfk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    assert.match(added, /not shown again/);
    assert.equal((await verifyApiKey(app.applications, key))?.name, 'whoami');

    const table = await ok('apps', 'list');
    assert.match(table, /^NAME\s+HOSTS\s+POLICY\s+USERS\s+GROUPS\s+CREATED/);
    assert.match(table, /^whoami\s+app1\.example,app2\.example\s+one_factor\s+-\s+staff\s+\d{4}-/m);
    assert.doesNotMatch(table, /tfk_/);
    const [row] = await listed();
    assert.deepEqual(
      [row?.name, row?.hosts, row?.policy, row?.allowedUsers, row?.allowedGroups],
      ['whoami', ['app1.example', 'app2.example'], 'one_factor', [], ['staff']],
    );
    assert.equal(JSON.stringify(row).includes(key.slice(17)), false);
  });

  it('rotate-key prints a new key; the old one stops working at once', async () => {
    const [{ id }] = (await listed()) as [{ id: string }];
    const before = (await app.applications.findByName('whoami')) as { keyRotatedAt: Date | null };
    assert.equal(before.keyRotatedAt, null);
    const first = KEY.exec(await ok('apps', 'rotate-key', 'whoami'))?.[1] as string;
    const second = KEY.exec(await ok('apps', 'rotate-key', 'whoami'))?.[1] as string;
    assert.notEqual(first, second);
    assert.equal(
      await verifyApiKey(app.applications, first),
      undefined,
      'the rotated key no longer verifies',
    );
    assert.equal((await verifyApiKey(app.applications, second))?.id, id);
    assert.ok((await app.applications.findByName('whoami'))?.keyRotatedAt instanceof Date);
  });

  it('set replaces what it is given and keeps the rest', async () => {
    await ok('apps', 'set', 'whoami', '--policy', 'two_factor', '--allow-user', 'Alice', '--allow-group', '');
    let [row] = await listed();
    assert.deepEqual(
      [row?.hosts, row?.policy, row?.allowedUsers, row?.allowedGroups],
      [['app1.example', 'app2.example'], 'two_factor', ['alice'], []],
    );
    await ok('apps', 'set', 'whoami', '--redirect-host', 'whoami.example'); // the name for --host
    [row] = await listed();
    assert.deepEqual(
      [row?.hosts, row?.policy, row?.allowedUsers],
      [['whoami.example'], 'two_factor', ['alice']],
    );
    assert.equal(await app.applications.findByHost('app1.example'), undefined);
  });

  it('users groups adds, removes and prints; /auth/verify passes the groups on', async () => {
    const { username, client } = await enrolledUser(app);
    assert.equal(
      (await ok('users', 'groups', username, '--add', 'staff', '--add', 'ops')).trim(),
      `${username}: ops, staff`,
    );
    assert.equal((await ok('users', 'groups', username, '--remove', 'ops')).trim(), `${username}: staff`);
    assert.equal(
      (await ok('users', 'groups', username.toUpperCase())).trim(),
      `${username.toUpperCase()}: staff`,
    );
    const verify = expectStatus(await client.get('/auth/verify'), 200);
    assert.equal(verify.headers['remote-groups'], 'staff');
  });

  it('bad names, hosts, policies and groups are usage errors (exit 2), changing nothing', async () => {
    for (const args of [
      ['apps', 'add', 'Bad_Name'],
      ['apps', 'add', '-x'],
      ['apps', 'add', 'ok', '--host', 'evil host'],
      ['apps', 'add', 'ok', '--host', 'app.example:8080'],
      ['apps', 'add', 'ok', '--host', 'https://app.example'],
      ['apps', 'add', 'ok', '--policy', 'three_factor'],
      ['apps', 'add', 'ok', '--allow-user', 'x'],
      ['apps', 'add', 'ok', '--allow-group', 'Staff Members'],
      ['apps', 'set', 'whoami', '--policy', ''],
      ['apps', 'add'],
      ['apps', 'list', 'extra'],
      ['apps', 'remove', 'whoami', '--host', 'x.example'],
      ['apps', 'rename', 'whoami'],
      ['users', 'groups', 'someone', '--add', 'Bad Group'],
      ['users', 'groups'],
    ]) {
      const result = await cli(...args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stdout}${result.stderr}`);
      assert.match(result.stderr, /usage|characters|host|policy|Username/i, args.join(' '));
    }
    assert.deepEqual(
      (await listed()).map((row) => row.name),
      ['whoami'],
    );
  });

  it('an existing name, a taken host or an unknown application or user fail (exit 1)', async () => {
    for (const [args, message] of [
      [['apps', 'add', 'whoami'], /exists already/],
      [['apps', 'add', 'other', '--host', 'WHOAMI.example'], /belongs to another application/],
      [['apps', 'set', 'nope', '--policy', 'one_factor'], /no application named nope/],
      [['apps', 'rotate-key', 'nope'], /no application named nope/],
      [['apps', 'remove', 'nope'], /no application named nope/],
      [['users', 'groups', 'nobody-here', '--add', 'staff'], /no user named nobody-here/],
    ] as const) {
      const result = await cli(...args);
      assert.equal(result.code, 1, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message);
    }
    assert.deepEqual(
      (await listed()).map((row) => row.name),
      ['whoami'],
    );
  });

  it('set is all or nothing: a host taken by another application leaves the policy as it was', async () => {
    await ok('apps', 'add', 'other', '--host', 'other.example');
    const before = (await listed()).find((row) => row.name === 'whoami');
    const result = await cli('apps', 'set', 'whoami', '--policy', 'one_factor', '--host', 'other.example');
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /belongs to another application/);
    assert.deepEqual(
      (await listed()).find((row) => row.name === 'whoami'),
      before,
    );
    await ok('apps', 'remove', 'other');
  });

  it("link and unlink: the operator vouches for both names; a username of the application is one user's", async () => {
    await ok('apps', 'set', 'whoami', '--allow-user', '', '--allow-group', ''); // admits everyone
    const [first, second] = [await enrolledUser(app), await enrolledUser(app)];
    const links = async () =>
      (
        await app.db.query(
          'SELECT u.username, l.app_username FROM application_links l JOIN users u ON u.id = l.user_id',
        )
      ).rows;
    assert.match(await ok('apps', 'link', 'whoami', first.username, 'Boss'), /linked .* to whoami as Boss/);
    const taken = await cli('apps', 'link', 'whoami', second.username, 'Boss');
    assert.equal(taken.code, 1, taken.stderr);
    assert.match(taken.stderr, /already linked to another user/);
    assert.deepEqual(await links(), [{ username: first.username, app_username: 'Boss' }]);
    const usage = await cli('apps', 'link', 'whoami', first.username);
    assert.equal(usage.code, 2, 'link needs the username at the application');
    assert.match(await ok('apps', 'unlink', 'whoami', first.username), /unlinked/);
    assert.deepEqual(await links(), []);
    assert.equal((await cli('apps', 'unlink', 'whoami', first.username)).code, 1, 'nothing left to unlink');
  });

  it('remove deletes the application, its hosts and its key', async () => {
    const key = KEY.exec(await ok('apps', 'rotate-key', 'whoami'))?.[1] as string;
    assert.match(await ok('apps', 'remove', 'whoami'), /removed whoami/);
    assert.equal(await verifyApiKey(app.applications, key), undefined);
    assert.equal(await app.applications.findByHost('whoami.example'), undefined);
    assert.match(await ok('apps', 'list'), /no application registered/);
  });
});
