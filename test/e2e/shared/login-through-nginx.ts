// The real replicas behind both nginx load balancers, over real HTTP, as a browser would use them.
import assert from 'node:assert/strict';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import pg from 'pg';
import { rotateKeys } from '../../../deploy/src/key-rotation.ts';
import type { TestCluster } from '../../support/cluster.ts';
import { PASSWORD } from '../../support/failover-workers.ts';
import { HttpClient, totpCode } from '../../support/http-client.ts';
import { enrolment, enrolSteps, fullLogin } from '../../support/login-workers.ts';
import { sharedTestCluster } from '../../support/shared-cluster.ts';
import { answeredWithin, startTraffic, summarize, unexpectedFailures } from '../../support/traffic.ts';

describe('login through the load balancers', () => {
  let cluster: TestCluster;
  let lbA: string;
  let lbB: string;

  before(async () => {
    cluster = await sharedTestCluster();
    [lbA, lbB] = cluster.lbUrls as [string, string];
  });

  /** A user with a confirmed authenticator; registered through lb-a, then the steps alternate. */
  async function enrol(username: string) {
    const enrolled = await enrolSteps([lbB, lbA], username);
    assert.ok(enrolled.ok && enrolled.user, enrolled.detail);
    return enrolled.user;
  }

  it('registers, enrols and logs in across lb-a and lb-b; auth_request lets the user through', async () => {
    const username = `e2e${Date.now()}`;
    const { client, secret } = await enrol(username);
    for (const lb of [lbA, lbB]) {
      const me = await client.via(lb).get('/api/v1/me');
      assert.equal(me.status, 200);
      assert.equal(me.body.user.username, username);
      const page = await fetch(new URL('/protected/app', lb), {
        headers: { cookie: client.cookie as string },
      });
      assert.equal(await page.text(), `hello ${username}\n`);
      assert.match(
        page.headers.get('x-request-id') ?? '',
        /^[0-9a-f]{32}$/,
        'nginx tags the response with its id',
      );
    }
    const fresh = new HttpClient(lbB);
    assert.equal(
      (await fresh.post('/api/v1/login', { username, password: PASSWORD })).body.state,
      'mfa_required',
    );
    assert.equal(
      (await fetch(new URL('/protected/app', lbA), { headers: { cookie: fresh.cookie as string } })).status,
      401,
    );
    assert.equal(
      (await fresh.via(lbA).post('/api/v1/login/totp', { code: await totpCode(secret) })).status,
      200,
    );
    assert.equal((await fresh.via(lbB).get('/api/v1/session')).body.state, 'authenticated');
  });

  it('the same TOTP code sent through both load balancers at the same moment succeeds exactly once', async () => {
    const username = `race${Date.now()}`;
    const { secret } = await enrol(username);
    // Two rounds: the current step and the next one (the window allows one step of skew).
    for (let round = 0; round < 2; round += 1) {
      const viaA = new HttpClient(lbA);
      const viaB = new HttpClient(lbB);
      await Promise.all([viaA, viaB].map((c) => c.post('/api/v1/login', { username, password: PASSWORD })));
      const code = await totpCode(secret, Date.now() + round * 30_000);
      const results = await Promise.all([viaA, viaB].map((c) => c.post('/api/v1/login/totp', { code })));
      assert.deepEqual(results.map((r) => r.status).sort(), [200, 401], `round ${round}`);
      const loser = results.find((r) => r.status === 401);
      assert.equal(loser?.body.error.code, 'invalid_code');
    }
  });

  it('50 wrong codes fired in parallel through both load balancers are cut off at the limit exactly', async () => {
    const username = `brute${Date.now()}`;
    const { secret } = await enrol(username);
    const attacker = new HttpClient(lbA);
    assert.equal(
      (await attacker.post('/api/v1/login', { username, password: PASSWORD })).body.state,
      'mfa_required',
    );
    const right = await totpCode(secret);
    const wrong = right === '000000' ? '111111' : '000000';
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => {
        const client = new HttpClient(i % 2 ? lbA : lbB);
        client.cookie = attacker.cookie;
        return client.post('/api/v1/login/totp', { code: wrong });
      }),
    );
    const statuses = results.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 401).length, 5, `checked attempts: ${statuses.join(',')}`);
    assert.equal(statuses.filter((s) => s === 429).length, 45);
    const locked = await attacker.via(lbB).post('/api/v1/login/totp', { code: right });
    assert.equal(locked.status, 429, 'the right code is refused during the lock');
    assert.equal(locked.body.error.code, 'too_many_attempts');
    const retryAfter = Number(locked.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= 900, `Retry-After ${retryAfter}: within the 15-minute window`);
  });

  it('nginx refuses oversize bodies and the replicas answer bad JSON with the error shape', async () => {
    const huge = await fetch(new URL('/api/v1/login', lbA), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'x', password: 'y'.repeat(100 * 1024) }),
    });
    assert.equal(huge.status, 413);
    const malformed = await fetch(new URL('/api/v1/login', lbB), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"username":',
    });
    assert.equal(malformed.status, 400);
    assert.equal(((await malformed.json()) as { error: { code: string } }).error.code, 'invalid_request');
  });

  it('rotates the encryption key online under whole logins and enrolments; no secret stays under the old key', async () => {
    const users = [];
    for (const i of [1, 2, 3]) users.push(await enrol(`rot${i}x${Date.now()}`));
    // Users for the logins during the rotation: a TOTP code wins once, so each logs in a few times a step.
    const pool = [];
    for (let i = 0; i < 12; i += 1) pool.push(await enrol(`rotpool${i}x${Date.now()}`));
    const db = new pg.Client({ connectionString: cluster.databaseUrl });
    await db.connect();
    try {
      const before = await db.query('SELECT count(*)::int AS n FROM totp_credentials');
      const lines: Array<{ at: number; line: string }> = [];
      // Two enrolment loops: one alone (about one a second on a loaded machine) left the switch's few
      // seconds with a single enrolment once in CI.
      const traffic = startTraffic([
        fullLogin([lbA, lbB], pool),
        enrolment([lbB, lbA], 'rotenrol'),
        enrolment([lbA, lbB], 'rotenrolb'),
      ]);
      const rotationStart = Date.now();
      const result = await rotateKeys({
        keysFile: path.join(cluster.dataDir, 'secrets', 'encryption-keys'),
        authUrls: cluster.authUrls,
        databaseUrl: cluster.databaseUrl,
        log: (line) => lines.push({ at: Date.now(), line }),
        settleMs: 3_000, // enrolments run meanwhile: one begun under the old key is re-encrypted late
      });
      const rotationEnd = Date.now();
      const outcomes = await traffic.stop();
      console.log(
        `key rotation in ${rotationEnd - rotationStart} ms under ${JSON.stringify(summarize(outcomes, 'full-login'))} logins and ${JSON.stringify(summarize(outcomes, 'enrolment'))} enrolments`,
      );
      assert.equal(result.current, '2');
      assert.deepEqual(result.retired, ['1']);
      assert.ok(
        result.reencrypted >= before.rows[0].n,
        `${result.reencrypted} re-encrypted\n${lines.map((l) => l.line).join('\n')}`,
      );
      assert.deepEqual(unexpectedFailures(outcomes), [], 'every login and enrolment succeeded');
      // From the moment the replicas encrypt with the new key until the old one is retired, logins
      // decrypt secrets under either key and enrolments seal under the new one.
      const switched = lines.find((l) => l.line.includes('encrypt with the new key'))?.at;
      assert.ok(switched, lines.map((l) => l.line).join('\n'));
      const loginsDuring = answeredWithin(outcomes, switched, rotationEnd, 'full-login').length;
      const enrolmentsDuring = answeredWithin(outcomes, switched, rotationEnd, 'enrolment').length;
      assert.ok(loginsDuring >= 5, `${loginsDuring} password+TOTP logins after the switch (at least 5)`);
      assert.ok(enrolmentsDuring >= 2, `${enrolmentsDuring} enrolments after the switch (at least 2)`);
      for (const user of users) {
        const client = new HttpClient(lbA);
        assert.equal(
          (await client.post('/api/v1/login', { username: user.username, password: PASSWORD })).body.state,
          'mfa_required',
        );
        const totp = await client.via(lbB).post('/api/v1/login/totp', { code: await totpCode(user.secret) });
        assert.equal(totp.status, 200, `${user.username} logs in after the rotation`);
      }
      const { rows } = await db.query(
        "SELECT count(*)::int AS n FROM totp_credentials WHERE split_part(secret_envelope, '.', 2) <> '2'",
      );
      assert.equal(rows[0].n, 0);
    } finally {
      await db.end();
    }
  });

  it('every replica is ready and exposes metrics', async () => {
    for (const url of cluster.authUrls) {
      assert.equal((await fetch(new URL('/readyz', url))).status, 200);
      assert.match(await (await fetch(new URL('/metrics', url))).text(), /twofold_login_steps_total/);
    }
  });
});
