// The operator commands of README's "Operating the cluster" run as an operator runs them:
// `node bin/twofold.js users import | bans list/lift | keys rotate` as child processes (and the
// monitoring members `twofold up` starts), against a
// cluster that `twofold up` (also a child process) runs on spare ports, checked through nginx and
// in PostgreSQL (deploy/test/support/operator-cluster.ts). One cluster for the whole file: each
// start costs a minute or two.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import bcrypt from 'bcryptjs';
import { PasswordHasher } from '../../services/auth/src/lib/passwords.ts';
import { HttpClient } from '../../test/support/http-client.ts';
import { isAlive } from '../src/proc.ts';
import { keysRotateTests } from './support/keys-rotate-tests.ts';
import { monitoringClusterTests } from './support/monitoring-cluster.ts';
import { type CliResult, OperatorCluster, PASSWORD } from './support/operator-cluster.ts';

/** A client address of its own (the whole 127/8 is this machine's), so its per-IP lock hits no other test. */
const ATTACKER_IP = '127.0.0.77';
/** A fresh client (no cookie) from ATTACKER_IP: nginx sees that address. */
const attacker = (lb: string) => new HttpClient(lb, { localAddress: ATTACKER_IP });

describe('the operator commands (bin/twofold.js) against a cluster run by `twofold up`', () => {
  let cluster: OperatorCluster;
  let dataDir: string;
  let lbA: string;
  let lbB: string;
  /** A replica this file SIGSTOPped: resumed in `after` whatever happened. */
  let stoppedPid: number | undefined;

  const run = (...args: string[]) => cluster.run(...args);
  const query: OperatorCluster['query'] = (sql, params) => cluster.query(sql, params);
  const register = (username: string) => cluster.register(username);
  const passwordHashOf = (username: string) => cluster.passwordHashOf(username);

  // The bound only turns a start that hangs into a failure; a start takes a minute or two here.
  before(
    async () => {
      cluster = await OperatorCluster.start();
      ({ dataDir, lbA, lbB } = cluster);
    },
    { timeout: 600_000 },
  );

  after(async () => {
    if (stoppedPid && isAlive(stoppedPid)) process.kill(stoppedPid, 'SIGCONT');
    await cluster?.stop();
  });

  // First (on a quiet cluster): every target up, the attacks refused, auth-2 killed; its alert and
  // mail are awaited after the import tests, the panels checked last, over the whole file's traffic.
  const monitoring = monitoringClusterTests(() => cluster);
  describe('monitoring: Prometheus, Alertmanager and the exporters', () => monitoring.first());

  describe('twofold users import', () => {
    const BCRYPT_PASSWORD = 'old bcrypt password 1';
    const ARGON_PASSWORD = 'old argon2 password 2';
    const DEFAULT_ARGON2 = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/;
    const BAD_HASH = 'password hash is not bcrypt ($2a$/$2b$/$2y$, cost up to 12) or argon2id';
    let bcryptHash: string;
    let argonHash: string;

    before(async () => {
      bcryptHash = await bcrypt.hash(BCRYPT_PASSWORD, 10);
      // An older system's argon2id, with other parameters than the replicas' (redone at the next login).
      argonHash = await new PasswordHasher({ memoryKiB: 65536, timeCost: 3, parallelism: 4 }).hash(
        ARGON_PASSWORD,
      );
      assert.match(argonHash, /^\$argon2id\$v=19\$m=65536,t=3,p=4\$/);
    });

    async function importFile(name: string, content: string): Promise<CliResult> {
      const file = path.join(dataDir, name);
      await writeFile(file, content);
      return run('users', 'import', file);
    }

    async function logsInWithOldPassword(username: string, password: string) {
      const wrong = await new HttpClient(lbA).post('/api/v1/login', { username, password: `${password}x` });
      assert.equal(wrong.status, 401, `${username}: ${JSON.stringify(wrong.body)}`);
      assert.equal(wrong.body.error.code, 'invalid_credentials');
      for (const lb of [lbA, lbB]) {
        const login = await new HttpClient(lb).post('/api/v1/login', { username, password });
        assert.equal(login.status, 200, `${username} through ${lb}: ${JSON.stringify(login.body)}`);
        assert.deepEqual(login.body, { state: 'enrollment_required' });
      }
    }

    test('CSV: bcrypt and argon2id rows are imported, each bad row reported with its line and reason (exit 1)', async () => {
      const csv = [
        'username,email,password_hash',
        `legacy.bcrypt,bcrypt@example.org,${bcryptHash}`,
        `legacy-argon,,${argonHash}`,
        `x,,${bcryptHash}`,
        'legacy-md5,,5f4dcc3b5aa765d61d8327deb882cf99',
        `legacy-cost13,,$2b$13$${'a'.repeat(53)}`,
        `legacy-mail,not-an-email,${bcryptHash}`,
      ].join('\n');
      const result = await importFile('users.csv', `${csv}\n`);
      assert.equal(result.stderr, '');
      assert.equal(
        result.stdout,
        [
          'imported 2, skipped 0 existing, 4 invalid',
          '  line 4: Username must be 3 to 32 characters: letters, digits, dot, dash or underscore.',
          `  line 5: ${BAD_HASH}`,
          `  line 6: ${BAD_HASH}`,
          '  line 7: Email address is not valid.',
          '',
        ].join('\n'),
      );
      assert.equal(result.code, 1, 'a refused row makes the exit code 1');
      const rows = await query<{ username: string; email: string | null; password_hash: string }>(
        `SELECT username, email, password_hash FROM users WHERE username LIKE 'legacy%' ORDER BY username`,
      );
      assert.deepEqual(rows, [
        { username: 'legacy-argon', email: null, password_hash: argonHash },
        { username: 'legacy.bcrypt', email: 'bcrypt@example.org', password_hash: bcryptHash },
      ]);
    });

    test('the users imported from CSV log in through the cluster with their old password; the hash is redone as argon2id', async () => {
      await logsInWithOldPassword('legacy.bcrypt', BCRYPT_PASSWORD);
      await logsInWithOldPassword('legacy-argon', ARGON_PASSWORD);
      assert.match(await passwordHashOf('legacy.bcrypt'), DEFAULT_ARGON2, 'bcrypt redone as argon2id');
      assert.match(
        await passwordHashOf('legacy-argon'),
        DEFAULT_ARGON2,
        'argon2id redone with the replicas’ cost',
      );
    });

    test('JSON: new users imported, an existing username skipped and never overwritten (exit 0)', async () => {
      const json = [
        {
          username: 'json-bcrypt',
          email: 'json@example.org',
          passwordHash: bcryptHash.replace(/^\$2b\$/, '$2y$'),
        },
        { username: 'json-argon', password_hash: argonHash },
        { username: 'legacy.bcrypt', passwordHash: bcryptHash },
      ];
      const before = await passwordHashOf('legacy.bcrypt');
      const result = await importFile('users.json', JSON.stringify(json, null, 2));
      assert.equal(result.stderr, '');
      assert.equal(
        result.stdout,
        'imported 2, skipped 1 existing, 0 invalid\n  exists already: legacy.bcrypt\n',
      );
      assert.equal(result.code, 0);
      assert.equal(await passwordHashOf('legacy.bcrypt'), before, 'the existing account is left alone');
      await logsInWithOldPassword('json-bcrypt', BCRYPT_PASSWORD);
      await logsInWithOldPassword('json-argon', ARGON_PASSWORD);
      await logsInWithOldPassword('legacy.bcrypt', BCRYPT_PASSWORD);
      assert.match(await passwordHashOf('json-bcrypt'), DEFAULT_ARGON2);
    });

    test('JSON: a bad row is reported with its position and reason, the good ones still imported (exit 1)', async () => {
      const json = [
        { username: 'json-fine', passwordHash: bcryptHash },
        { username: 'json-nohash' },
        { username: 'json bad', passwordHash: bcryptHash },
      ];
      const result = await importFile('bad.json', JSON.stringify(json));
      assert.equal(
        result.stdout,
        [
          'imported 1, skipped 0 existing, 2 invalid',
          `  line 2: ${BAD_HASH}`,
          '  line 3: Username must be 3 to 32 characters: letters, digits, dot, dash or underscore.',
          '',
        ].join('\n'),
      );
      assert.equal(result.code, 1);
      await logsInWithOldPassword('json-fine', BCRYPT_PASSWORD);
    });

    test('a file that is not an import (CSV without its header) is refused as a whole (exit 1)', async () => {
      const result = await importFile('noheader.csv', `nobody,,${bcryptHash}\n`);
      assert.equal(result.code, 1);
      assert.equal(result.stdout, '');
      assert.match(
        result.stderr,
        /^twofold users: CSV needs a header line with at least: username,password_hash/,
      );
      assert.deepEqual(await query('SELECT 1 FROM users WHERE username_key = $1', ['nobody']), []);
    });
  });

  describe('monitoring: the alert of the kill', () => monitoring.alertArrived());

  describe('twofold bans list / lift', () => {
    type Ban = { scope: string; subject: string; attempts: number; secondsLeft: number };
    const VICTIM = 'ban-victim';
    const BYSTANDER = 'ban-bystander';

    async function bansJson(): Promise<Ban[]> {
      const result = await run('bans', 'list', '--json');
      assert.equal(result.code, 0, result.stderr);
      return JSON.parse(result.stdout);
    }

    before(async () => {
      await register(VICTIM);
      await register(BYSTANDER);
    });

    test('no lock in force: the list says so, as text and as JSON', async () => {
      const text = await run('bans', 'list');
      assert.equal(text.code, 0, text.stderr);
      assert.equal(text.stdout, 'no lock in force\n');
      assert.deepEqual(await bansJson(), []);
    });

    test('10 failed passwords lock the account; bans list shows it; bans lift <username> ends it', async () => {
      // Sent together: every attempt is counted before its check, so all ten are checked (and fail).
      const failures = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          new HttpClient(i % 2 ? lbA : lbB).post('/api/v1/login', {
            username: VICTIM,
            password: `wrong ${i}`,
          }),
        ),
      );
      assert.deepEqual(
        failures.map((r) => r.status),
        Array(10).fill(401),
      );
      const locked = await new HttpClient(lbA).post('/api/v1/login', {
        username: VICTIM,
        password: PASSWORD,
      });
      assert.equal(locked.status, 429, 'even the right password is refused during the lock');
      assert.equal(locked.body.error.code, 'too_many_attempts');
      assert.ok(Number(locked.headers.get('retry-after')) > 0);

      const bans = await bansJson();
      assert.deepEqual(
        bans.map(({ scope, subject, attempts }) => ({ scope, subject, attempts })),
        [{ scope: 'password', subject: VICTIM, attempts: 11 }],
      );
      const [ban] = bans as [Ban];
      assert.ok(ban.secondsLeft > 0 && ban.secondsLeft <= 900, `seconds left: ${ban.secondsLeft}`);
      const text = await run('bans', 'list');
      assert.equal(text.code, 0);
      assert.match(text.stdout, /^SCOPE\s+SUBJECT\s+ATTEMPTS\s+SECONDS LEFT\n/);
      assert.match(text.stdout, new RegExp(`^password\\s+${VICTIM}\\s+11\\s+\\d+$`, 'm'));

      const lift = await run('bans', 'lift', VICTIM);
      assert.equal(lift.code, 0, lift.stderr);
      assert.equal(lift.stdout, `lifted 1 counter(s) of ${VICTIM}\n`);
      const after = await new HttpClient(lbB).post('/api/v1/login', { username: VICTIM, password: PASSWORD });
      assert.equal(after.status, 200, JSON.stringify(after.body));
      assert.deepEqual(after.body, { state: 'enrollment_required' });
      assert.deepEqual(await bansJson(), []);
    });

    test('100 failed passwords from one IP lock that IP; bans lift <ip> ends it', async () => {
      // A different unknown username each time: no account's own budget (or delay) comes into it.
      for (let batch = 0; batch < 10; batch += 1) {
        const failures = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            attacker(i % 2 ? lbA : lbB).post('/api/v1/login', {
              username: `ghost-${batch}-${i}`,
              password: 'not the password',
            }),
          ),
        );
        assert.deepEqual(
          failures.map((r) => r.status),
          Array(10).fill(401),
          `batch ${batch}`,
        );
      }
      const locked = await attacker(lbA).post('/api/v1/login', {
        username: BYSTANDER,
        password: PASSWORD,
      });
      assert.equal(locked.status, 429, 'the right password from the locked IP is refused');
      assert.equal(locked.body.error?.code, 'too_many_attempts');
      const elsewhere = await new HttpClient(lbA).post('/api/v1/login', {
        username: BYSTANDER,
        password: PASSWORD,
      });
      assert.equal(elsewhere.status, 200, 'the lock is the address’s, not the account’s');

      const bans = await bansJson();
      assert.deepEqual(
        bans.map(({ scope, subject, attempts }) => ({ scope, subject, attempts })),
        [{ scope: 'password-ip', subject: ATTACKER_IP, attempts: 101 }],
      );
      const text = await run('bans', 'list');
      assert.match(
        text.stdout,
        new RegExp(`^password-ip\\s+${ATTACKER_IP.replaceAll('.', '\\.')}\\s+101\\s+\\d+$`, 'm'),
      );

      const lift = await run('bans', 'lift', ATTACKER_IP);
      assert.equal(lift.code, 0, lift.stderr);
      assert.equal(lift.stdout, `lifted 1 counter(s) of ${ATTACKER_IP}\n`);
      const after = await attacker(lbB).post('/api/v1/login', {
        username: BYSTANDER,
        password: PASSWORD,
      });
      assert.equal(after.status, 200, JSON.stringify(after.body));
      assert.deepEqual(await bansJson(), []);
    });

    test('lifting a subject without counters says so; lift without a subject is a usage error (exit 2)', async () => {
      const none = await run('bans', 'lift', 'nobody-here');
      assert.equal(none.code, 0);
      assert.equal(none.stdout, 'no counter of nobody-here\n');
      const usage = await run('bans', 'lift');
      assert.equal(usage.code, 2);
      assert.match(usage.stderr, /usage: twofold bans list \| twofold bans lift <subject>/);
    });
  });

  describe('twofold keys rotate', () =>
    keysRotateTests(
      () => cluster,
      (pid) => {
        stoppedPid = pid;
      },
    ));

  describe('monitoring: the dashboard panels over the traffic above', () => monitoring.panels());
});
