// The whole HA topology under a small client loop, killing one member at a time (issue: "kill any
// member and the service goes on"). Figures are printed as `FAILOVER <scenario> <json>` lines and
// recorded in README's Failover section; timings are reported, never asserted.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { startTestCluster, type TestCluster } from '../support/cluster.ts';
import { HttpClient, totpCode } from '../support/http-client.ts';
import {
  longestGapSeconds,
  secondsUntilSuccess,
  sleep,
  startTraffic,
  summarize,
  type Worker,
} from '../support/traffic.ts';

const PASSWORD = 'correct horse battery staple';
let serial = 0;
function uniqueName(prefix: string): string {
  serial += 1;
  return `${prefix}${process.pid}x${Date.now() % 1e7}x${serial}`;
}

/** Each call gives the other load balancer, so traffic goes through both. */
function alternating(urls: string[]): () => string {
  let turn = 0;
  return () => {
    turn += 1;
    return urls[turn % urls.length] as string;
  };
}

function report(scenario: string, figures: Record<string, unknown>) {
  console.log(`FAILOVER ${scenario} ${JSON.stringify(figures)}`);
}

describe('failover of every member under traffic', () => {
  let cluster: TestCluster;
  let lbs: [string, string];
  let user: { username: string; secret: string; cookie: string };

  /** An authenticated session, made through lb-a. */
  async function loggedInUser() {
    const username = uniqueName('fo');
    const client = new HttpClient(lbs[0]);
    assert.equal((await client.post('/api/v1/register', { username, password: PASSWORD })).status, 201);
    await client.post('/api/v1/login', { username, password: PASSWORD });
    const { secret } = (await client.post('/api/v1/totp/enroll')).body;
    const confirm = await client.post('/api/v1/totp/confirm', {
      code: await totpCode(secret, Date.now() - 30_000),
    });
    assert.equal(confirm.status, 200);
    return { username, secret, cookie: client.cookie as string };
  }

  const sessionCheck = (cookie: string): Worker => {
    const next = alternating(lbs);
    return {
      kind: 'session-check',
      run: async () => {
        const client = new HttpClient(next());
        client.cookie = cookie;
        const response = await client.get('/api/v1/session');
        return {
          status: response.status,
          ok: response.status === 200 && response.body.state === 'authenticated',
        };
      },
    };
  };

  const passwordLogin = (username: string): Worker => {
    const next = alternating(lbs);
    return {
      kind: 'login',
      run: async () => {
        const response = await new HttpClient(next()).post('/api/v1/login', { username, password: PASSWORD });
        return { status: response.status, ok: response.status === 200 };
      },
    };
  };

  before(async () => {
    cluster = await startTestCluster({ authReplicas: 3 });
    lbs = cluster.lbUrls as [string, string];
    user = await loggedInUser();
  });
  after(() => cluster?.destroy());

  it('6. a session made through lb-a works through lb-b', async () => {
    const client = new HttpClient(lbs[1]);
    client.cookie = user.cookie;
    const me = await client.get('/api/v1/me');
    assert.equal(me.status, 200);
    assert.equal(me.body.user.username, user.username);
  });

  it('1. SIGKILL of an auth replica: no session check fails; failed POSTs are counted', async () => {
    const traffic = startTraffic([
      sessionCheck(user.cookie),
      sessionCheck(user.cookie),
      passwordLogin(user.username),
    ]);
    await sleep(1_000);
    await cluster.kill('auth-1');
    await sleep(3_000);
    const outcomes = await traffic.stop();
    const checks = summarize(outcomes, 'session-check');
    const logins = summarize(outcomes, 'login');
    report('auth-sigkill', { sessionChecks: checks, loginPosts: logins });
    assert.ok(checks.total > 20, 'traffic ran');
    assert.equal(checks.failed, 0, `failed session checks: ${checks.statuses}`);
    await cluster.restart('auth-1');
  });

  it('2. SIGTERM of an auth replica: zero failed requests', async () => {
    const traffic = startTraffic([
      sessionCheck(user.cookie),
      sessionCheck(user.cookie),
      passwordLogin(user.username),
    ]);
    await sleep(1_000);
    await cluster.kill('auth-2', { graceful: true });
    await sleep(4_000);
    const outcomes = await traffic.stop();
    const checks = summarize(outcomes, 'session-check');
    const logins = summarize(outcomes, 'login');
    report('auth-sigterm', { sessionChecks: checks, loginPosts: logins });
    assert.equal(checks.failed, 0, `failed session checks: ${checks.statuses}`);
    assert.equal(logins.failed, 0, `failed logins: ${logins.statuses}`);
    await cluster.restart('auth-2');
  });

  it('5. with lb-a dead, lb-b serves the same sessions', async () => {
    await cluster.kill('lb-a');
    const client = new HttpClient(lbs[1]);
    client.cookie = user.cookie;
    assert.equal((await client.get('/api/v1/me')).status, 200);
    const fresh = new HttpClient(lbs[1]);
    assert.equal(
      (await fresh.post('/api/v1/login', { username: user.username, password: PASSWORD })).status,
      200,
    );
    await assert.rejects(fetch(`${lbs[0]}healthz`, { signal: AbortSignal.timeout(2_000) }));
    await cluster.restart('lb-a');
    assert.equal((await fetch(`${lbs[0]}healthz`)).status, 200);
  });

  it('4. kill of the Redis master: sessions made before it survive; writes resume by themselves', async () => {
    const before = await loggedInUser();
    const traffic = startTraffic([sessionCheck(before.cookie), passwordLogin(before.username)]);
    await sleep(1_000);
    const master = await cluster.resolve('redis-master');
    const killedAt = Date.now();
    await cluster.kill(master);
    // Wait until a login (a session write) succeeds again, at most 30 s.
    while (
      Date.now() - killedAt < 30_000 &&
      secondsUntilSuccess(traffic.outcomes, 'login', killedAt + 1) === undefined
    ) {
      await sleep(200);
    }
    await sleep(1_000);
    const outcomes = await traffic.stop();
    const newMaster = await cluster.resolve('redis-master');
    const figures = {
      killed: master,
      newMaster,
      sessionChecksBackAfterSeconds: secondsUntilSuccess(outcomes, 'session-check', killedAt + 1),
      sessionWritesBackAfterSeconds: secondsUntilSuccess(outcomes, 'login', killedAt + 1),
      sessionChecks: summarize(outcomes, 'session-check'),
      logins: summarize(outcomes, 'login'),
      sessionCheckStatuses: [
        ...new Set(outcomes.filter((o) => o.kind === 'session-check').map((o) => o.status)),
      ],
    };
    report('redis-master-kill', figures);
    assert.notEqual(newMaster, master);
    assert.ok(
      !figures.sessionCheckStatuses.includes(401),
      'a session is never reported gone during the failover',
    );
    const client = new HttpClient(lbs[0]);
    client.cookie = before.cookie;
    const me = await client.get('/api/v1/me');
    assert.equal(me.status, 200, 'the session created before the kill is valid after it');
    await cluster.restart(master);
  });

  it('3. kill of the PostgreSQL primary: writes resume by themselves, no acknowledged registration is lost', async () => {
    const acknowledged: string[] = [];
    const next = alternating(lbs);
    const register: Worker = {
      kind: 'register',
      pauseMs: 50,
      run: async () => {
        const username = uniqueName('pg');
        const response = await new HttpClient(next()).post('/api/v1/register', {
          username,
          password: PASSWORD,
        });
        if (response.status === 201) acknowledged.push(username);
        return { status: response.status, ok: response.status === 201 };
      },
    };
    const traffic = startTraffic([register, register]);
    await sleep(1_500);
    const primary = await cluster.resolve('pg-primary');
    const acknowledgedBeforeKill = [...acknowledged];
    const killedAt = Date.now();
    await cluster.kill(primary);
    while (
      Date.now() - killedAt < 60_000 &&
      secondsUntilSuccess(traffic.outcomes, 'register', killedAt + 1) === undefined
    ) {
      await sleep(250);
    }
    await sleep(2_000);
    const outcomes = await traffic.stop();
    const figures = {
      killed: primary,
      newPrimary: await cluster.resolve('pg-primary'),
      writesBackAfterSeconds: secondsUntilSuccess(outcomes, 'register', killedAt + 1),
      longestWriteGapSeconds: longestGapSeconds(outcomes, 'register', killedAt - 1_000, Date.now()),
      registrations: summarize(outcomes, 'register'),
      acknowledgedBeforeKill: acknowledgedBeforeKill.length,
      acknowledgedInAll: acknowledged.length,
    };
    report('pg-primary-kill', figures);
    assert.notEqual(figures.newPrimary, primary);
    assert.ok(acknowledgedBeforeKill.length > 5, 'registrations ran before the kill');

    const db = new pg.Client({ connectionString: cluster.adminDatabaseUrl.replace(/\/[^/]*$/, '/twofold') });
    await db.connect();
    try {
      const { rows } = await db.query<{ username: string }>(
        'SELECT username FROM users WHERE username = ANY($1)',
        [acknowledged],
      );
      const found = new Set(rows.map((row) => row.username));
      const lost = acknowledged.filter((name) => !found.has(name));
      assert.deepEqual(lost, [], 'every registration answered 201 exists after the failover');
    } finally {
      await db.end();
    }
    await cluster.restart(primary);
  });
});
