// The real replicas behind both nginx load balancers, over real HTTP, as a browser would use them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
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

  it('every replica is ready and exposes metrics', async () => {
    for (const url of cluster.authUrls) {
      assert.equal((await fetch(new URL('/readyz', url))).status, 200);
      assert.match(await (await fetch(new URL('/metrics', url))).text(), /twofold_login_steps_total/);
    }
  });
});
