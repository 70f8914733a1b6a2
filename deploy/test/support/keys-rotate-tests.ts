// `twofold keys rotate` against a cluster run by `twofold up`: registered inside
// deploy/test/operator-commands.cluster.test.ts, which starts one cluster for all its commands.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseKeyRing } from '../../../services/common/src/secret-box.ts';
import { secretsDir } from '../../src/paths.ts';
import { type CliResult, type OperatorCluster, twofold } from './operator-cluster.ts';

/** `onStopped` learns the pid of a replica SIGSTOPped (undefined once resumed), to resume it whatever happens. */
export function keysRotateTests(
  clusterOf: () => OperatorCluster,
  onStopped: (pid: number | undefined) => void,
): void {
  const run = (...args: string[]) => clusterOf().run(...args);
  const query: OperatorCluster['query'] = (sql, params) => clusterOf().query(sql, params);
  const enrol = (username: string) => clusterOf().enrol(username);
  const loginWithTotp = (username: string, secret: string, lb: string, atMs?: number) =>
    clusterOf().loginWithTotp(username, secret, lb, atMs);
  const secrets = new Map<string, string>();
  const keysFile = () => path.join(secretsDir(clusterOf().dataDir), 'encryption-keys');
  const ring = async () => parseKeyRing((await readFile(keysFile(), 'utf8')).trim());

  /**
   * The key id of every TOTP secret at rest (envelope `v1.<keyId>.<iv>.<ciphertext>`), per user: of
   * this file's users (keys-*), or with `everyone` of every user the cluster has (other tests' too).
   */
  async function sealedUnder(everyone = false): Promise<Map<string, string>> {
    const rows = await query<{ username: string; key_id: string }>(
      `SELECT u.username, split_part(t.secret_envelope, '.', 2) AS key_id
         FROM totp_credentials t JOIN users u ON u.id = t.user_id
        WHERE $1 OR u.username LIKE 'keys-%' ORDER BY u.username`,
      [everyone],
    );
    return new Map(rows.map((row) => [row.username, row.key_id]));
  }

  async function keyIdsOfReplicas(): Promise<string[][]> {
    return Promise.all(
      clusterOf().ports.auth.map(async (port) => {
        const response = await fetch(`http://127.0.0.1:${port}/readyz`, {
          signal: AbortSignal.timeout(5000),
        });
        return ((await response.json()) as { checks: { keyIds: string[] } }).checks.keyIds;
      }),
    );
  }

  before(async () => {
    for (const username of ['keys-a', 'keys-b']) secrets.set(username, await enrol(username));
    assert.deepEqual(
      (await ring()).map((k) => k.id),
      ['1'],
    );
    assert.deepEqual([...(await sealedUnder()).values()], ['1', '1']);
  });

  test('a replica that does not answer (SIGSTOP) stops the rotation: exit 1 naming it, the old key still encrypts', async () => {
    const status = await run('status', '--json');
    assert.equal(status.code, 0, status.stderr);
    const members = JSON.parse(status.stdout) as Array<{ name: string; pid: number | null; port: number }>;
    const auth2 = members.find((member) => member.name === 'auth-2');
    assert.ok(auth2?.pid, `auth-2 has a pid: ${status.stdout}`);
    assert.equal(auth2.port, clusterOf().ports.auth[1]);
    const oldRing = await ring();

    process.kill(auth2.pid, 'SIGSTOP');
    onStopped(auth2.pid);
    let result: CliResult;
    try {
      result = await run('keys', 'rotate');
    } finally {
      process.kill(auth2.pid, 'SIGCONT');
      onStopped(undefined);
    }
    assert.equal(result.code, 1, `${result.stdout}${result.stderr}`);
    assert.equal(
      result.stderr,
      `twofold keys: replicas did not take keys [1,2] in time: http://127.0.0.1:${clusterOf().ports.auth[1]}/\n`,
    );
    assert.doesNotMatch(result.stdout, /re-encrypted|now the only key/);

    // The new key was only added: key 1 is still first (it encrypts) and no secret moved.
    const afterRing = await ring();
    assert.deepEqual(
      afterRing.map((k) => k.id),
      ['1', '2'],
    );
    assert.deepEqual(afterRing[0]?.key, oldRing[0]?.key);
    assert.deepEqual([...(await sealedUnder()).values()], ['1', '1']);
    // Every replica, auth-2 included once resumed, follows that ring.
    let keyIds = await keyIdsOfReplicas();
    for (let i = 0; i < 120 && keyIds.some((ids) => ids.join() !== '1,2'); i += 1) {
      await sleep(250);
      keyIds = await keyIdsOfReplicas();
    }
    assert.deepEqual(keyIds, [
      ['1', '2'],
      ['1', '2'],
      ['1', '2'],
    ]);

    // The data is still readable, and what is enrolled now is sealed under the old key.
    await loginWithTotp('keys-a', secrets.get('keys-a') as string, clusterOf().lbA);
    secrets.set('keys-c', await enrol('keys-c'));
    assert.equal((await sealedUnder()).get('keys-c'), '1');
  });

  test('rotation: every TOTP secret ends under the new key, the old keys leave the ring file, TOTP logins work', async () => {
    const oldKeys = (await ring()).map((k) => k.key.toString('base64'));
    // An enrolment while the rotation runs: whichever key seals it, it must end under the new one.
    let enrolling: Promise<string> | undefined;
    const rotation = twofold(['keys', 'rotate', '--data-dir', clusterOf().dataDir], () => {
      if (enrolling) return;
      enrolling = enrol('keys-d');
      enrolling.catch(() => {}); // awaited (and its failure reported) once the rotation ends
    });
    const result = await rotation.done;
    assert.ok(enrolling, 'the rotation printed its progress');
    secrets.set('keys-d', await enrolling);
    assert.equal(result.stderr, '');
    assert.equal(result.code, 0, result.stdout);
    assert.match(result.stdout, /^every replica has keys \[1,2,3\] \(learn the new key\)$/m);
    assert.match(result.stdout, /^every replica has keys \[3,1,2\] \(encrypt with the new key\)$/m);
    assert.match(result.stdout, /^every replica has keys \[3\] \(drop the old keys\)$/m);
    assert.match(result.stdout, /key 3 is now the only key; retired: 1, 2\n$/);

    const newRing = await ring();
    assert.deepEqual(
      newRing.map((k) => k.id),
      ['3'],
    );
    const file = await readFile(keysFile(), 'utf8');
    for (const old of oldKeys) assert.ok(!file.includes(old), 'no old key is left in the ring file');
    assert.deepEqual(Object.fromEntries(await sealedUnder()), {
      'keys-a': '3',
      'keys-b': '3',
      'keys-c': '3',
      'keys-d': '3',
    });
    assert.deepEqual(
      new Set((await sealedUnder(true)).values()),
      new Set(['3']),
      'no secret of anyone left under an old key',
    );
    assert.deepEqual(await keyIdsOfReplicas(), [['3'], ['3'], ['3']]);

    // keys-a logged in during the previous test: the next step's code (one step of skew is allowed).
    await loginWithTotp('keys-a', secrets.get('keys-a') as string, clusterOf().lbB, Date.now() + 30_000);
    await loginWithTotp('keys-b', secrets.get('keys-b') as string, clusterOf().lbA);
    await loginWithTotp('keys-c', secrets.get('keys-c') as string, clusterOf().lbB);
    await loginWithTotp('keys-d', secrets.get('keys-d') as string, clusterOf().lbA);
  });

  test('the ID-token signing keys are re-sealed too; rotate-signing publishes new keys everywhere, then signs with them', async () => {
    const sealed = await query<{ key_id: string }>(
      `SELECT DISTINCT split_part(private_envelope, '.', 2) AS key_id FROM oidc_signing_keys`,
    );
    assert.deepEqual(
      sealed.map((row) => row.key_id),
      ['3'],
    );
    const jwks = async () =>
      ((await (await fetch(`${clusterOf().lbA}oidc/jwks`)).json()) as { keys: Array<{ kid: string }> }).keys
        .map((key) => key.kid)
        .sort();
    const before = await jwks();
    assert.equal(before.length, 2, before.join());

    const result = await run('keys', 'rotate-signing', '--overlap-seconds', '3600');
    assert.equal(result.code, 0, `${result.stdout}${result.stderr}`);
    assert.match(result.stdout, /^every replica has taken the change \(publish the new keys\)$/m);
    assert.match(result.stdout, /^every replica has taken the change \(sign with the new keys\)$/m);
    const after = await jwks();
    assert.equal(after.length, 4, 'the old keys stay published for the overlap');
    for (const kid of before) assert.ok(after.includes(kid));
    const signing = await Promise.all(
      clusterOf().ports.auth.map(async (port) => {
        const ready = await (await fetch(`http://127.0.0.1:${port}/readyz`)).json();
        return (ready as { checks: { oidcKeys: { signing: string[] } } }).checks.oidcKeys.signing.sort();
      }),
    );
    assert.equal(
      new Set(signing.map((kids) => kids.join())).size,
      1,
      'every replica signs with the same keys',
    );
    assert.ok(
      signing[0]?.every((kid) => !before.includes(kid)),
      'and they are the new ones',
    );
    const usage = await run('keys', 'rotate-signing', '--overlap-seconds', '5');
    assert.equal(usage.code, 2);
  });
}
