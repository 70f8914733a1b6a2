// The real replicas behind both nginx load balancers, over real HTTP, as a browser would use them.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { rotateKeys } from '../../deploy/src/key-rotation.ts';
import { startTestCluster, type TestCluster } from '../support/cluster.ts';
import { HttpClient, totpCode } from '../support/http-client.ts';

const PASSWORD = 'correct horse battery staple';

describe('login through the load balancers', () => {
  let cluster: TestCluster;
  let lbA: string;
  let lbB: string;

  before(async () => {
    cluster = await startTestCluster();
    [lbA, lbB] = cluster.lbUrls as [string, string];
  });
  after(() => cluster?.destroy());

  async function enrol(username: string) {
    const client = new HttpClient(lbA);
    assert.equal((await client.post('/api/v1/register', { username, password: PASSWORD })).status, 201);
    assert.equal(
      (await client.via(lbB).post('/api/v1/login', { username, password: PASSWORD })).body.state,
      'enrollment_required',
    );
    const enrolment = await client.via(lbA).post('/api/v1/totp/enroll');
    assert.equal(enrolment.status, 200);
    const secret: string = enrolment.body.secret;
    const confirm = await client
      .via(lbB)
      .post('/api/v1/totp/confirm', { code: await totpCode(secret, Date.now() - 30_000) });
    assert.equal(confirm.status, 200, JSON.stringify(confirm.body));
    return { client, secret };
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
      assert.ok(page.headers.get('x-request-id'), 'nginx tags every response with a request id');
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
    assert.ok(Number(locked.headers.get('retry-after')) > 0);
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

  it('rotates the encryption key online: every user still logs in, no secret stays under the old key', async () => {
    const users = await Promise.all(
      [1, 2, 3].map(async (i) => ({
        username: `rot${i}x${Date.now()}`,
        ...(await enrol(`rot${i}x${Date.now()}`)),
      })),
    );
    const lines: string[] = [];
    // Logins keep running while the ring changes under the replicas.
    let stop = false;
    let failures = 0;
    const background = (async () => {
      while (!stop) {
        const response = await new HttpClient(lbB).post('/api/v1/login', {
          username: users[0]?.username,
          password: PASSWORD,
        });
        if (response.status !== 200) failures += 1;
      }
    })();
    const result = await rotateKeys({
      keysFile: path.join(cluster.dataDir, 'secrets', 'encryption-keys'),
      authUrls: cluster.authUrls,
      databaseUrl: cluster.databaseUrl,
      log: (line) => lines.push(line),
      settleMs: 1_000, // no enrolment runs during this test
    });
    stop = true;
    await background;
    assert.equal(result.current, '2');
    assert.deepEqual(result.retired, ['1']);
    assert.ok(result.reencrypted >= users.length, lines.join('\n'));
    assert.equal(failures, 0, 'logins kept working during the rotation');
    for (const user of users) {
      const client = new HttpClient(lbA);
      assert.equal(
        (await client.post('/api/v1/login', { username: user.username, password: PASSWORD })).body.state,
        'mfa_required',
      );
      const totp = await client.via(lbB).post('/api/v1/login/totp', { code: await totpCode(user.secret) });
      assert.equal(totp.status, 200, `${user.username} logs in after the rotation`);
    }
    const db = new pg.Client({ connectionString: cluster.databaseUrl });
    await db.connect();
    try {
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
