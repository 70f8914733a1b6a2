// Issue 11: the admin-only ops API reads a real Prometheus by panel id; anyone else gets 401/403,
// bad input 400/404, and a dead or hanging Prometheus a generic 503 in time, never a 500.
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type ServerResponse } from 'node:http';
import { createServer, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { panels } from '../../../../monitoring/panels.ts';
import { buildTestApp, testConfig } from '../helpers/build-app.ts';
import {
  enrolledUser,
  expectError,
  expectStatus,
  PASSWORD,
  TestClient,
  totpCode,
} from '../helpers/client.ts';
import { type PrometheusProcess, startPrometheus } from '../helpers/prometheus-process.ts';

const ENDPOINTS = ['/api/v1/ops/panels', '/api/v1/ops/members', '/api/v1/ops/alerts', '/api/v1/ops/access'];

interface PanelAnswer {
  timestamps: number[];
  series: Array<{ name: string; values: Array<number | null> }>;
}

async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

type Cleanup = { after: (fn: () => Promise<unknown>) => unknown };

async function appWithPrometheus(t: Cleanup, prometheusUrl: string | undefined, timeoutMs = 3_000) {
  const config = await testConfig();
  return buildTestApp(t, { ...config, ops: { prometheusUrl, prometheusTimeoutMs: timeoutMs } });
}

async function makeAdmin(app: FastifyInstance, username: string): Promise<string> {
  const user = await app.users.findByUsernameKey(username.toLowerCase());
  await app.groups.add(user?.id as string, ['admin']);
  return user?.id as string;
}

/**
 * An admin signed in with password and TOTP: the session that enrolled the authenticator proved the
 * password only, and the ops API asks for a second factor proven at login.
 */
async function signedInAdmin(app: FastifyInstance) {
  const { username, secret } = await enrolledUser(app);
  const id = await makeAdmin(app, username);
  const client = new TestClient(app);
  expectStatus(await client.post('/api/v1/login', { username, password: PASSWORD }), 200);
  expectStatus(await client.post('/api/v1/login/totp', { code: await totpCode(secret) }), 200);
  return { client, username, id };
}

describe('the ops dashboard API against a real Prometheus', () => {
  let prometheus: PrometheusProcess;
  let app: FastifyInstance;
  let admin: TestClient;
  let adminUsername: string;
  let adminId: string;
  let member: TestClient;
  let memberId: string;

  // Closed when the suite ends, not when the before hook does.
  const cleanups: Array<() => Promise<unknown>> = [];
  before(async () => {
    prometheus = await startPrometheus();
    app = await appWithPrometheus({ after: (fn) => cleanups.push(fn) }, prometheus.url);
    ({ client: admin, username: adminUsername, id: adminId } = await signedInAdmin(app));
    const outsider = await enrolledUser(app);
    member = outsider.client;
    memberId = (await app.users.findByUsernameKey(outsider.username.toLowerCase()))?.id as string;
  });
  after(async () => {
    for (const cleanup of cleanups) await cleanup();
    await prometheus?.stop();
  });

  it('refuses anonymous callers (401), password-only sessions and non-admins (403)', async () => {
    const anonymous = new TestClient(app);
    const passwordOnly = new TestClient(app);
    expectStatus(
      await passwordOnly.post('/api/v1/login', { username: adminUsername, password: PASSWORD }),
      200,
    );
    for (const url of [...ENDPOINTS, '/api/v1/ops/panels/nope?minutes=abc']) {
      expectError(await anonymous.get(url), 401, 'unauthenticated');
      expectError(await passwordOnly.get(url), 403, 'forbidden');
      const refused = expectError(await member.get(url), 403, 'admin_required');
      assert.match(refused.json().error.message, /administrators/);
    }
    // Audited once a minute, whatever the page's polling.
    const refusals = (await app.audit.recentForUser(memberId, 50)).filter(
      (e) => e.step === 'application-access',
    );
    assert.equal(refusals.length, 1);
    assert.equal(refusals[0]?.result, 'rejected');
  });

  it('answers the page at /ops, and uPlot from /static/vendor/uplot/', async () => {
    const page = expectStatus(await new TestClient(app).get('/ops'), 200);
    assert.match(page.body, /<h1>Operations<\/h1>/);
    assert.equal(page.headers['cache-control'], 'no-store');
    assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
    const script = expectStatus(await admin.get('/static/vendor/uplot/uPlot.iife.min.js'), 200);
    assert.match(script.body, /uPlot/);
    expectStatus(await admin.get('/static/vendor/uplot/uPlot.min.css'), 200);
  });

  it('lists the members Prometheus scrapes, up', async () => {
    expectStatus(await admin.get('/api/v1/ops/access'), 200);
    const { members } = expectStatus(await admin.get('/api/v1/ops/members'), 200).json();
    const self = members.find((m: { member: string }) => m.member === 'prometheus');
    assert.ok(self, JSON.stringify(members));
    assert.equal(self.job, 'prometheus');
    assert.equal(self.up, true);
    assert.equal(self.health, 'up');
    assert.equal(self.role, null);
    assert.ok(Date.parse(self.lastScrape) > Date.now() - 60_000);
  });

  it('lists the panels and answers each with series on one time axis of at most 300 points', async () => {
    const listed = expectStatus(await admin.get('/api/v1/ops/panels'), 200).json().panels;
    assert.deepEqual(
      listed.map((p: { id: string }) => p.id),
      panels.map((p) => p.id),
    );
    assert.ok(listed.length > 0);
    for (const minutes of ['15', '1440', '1']) {
      for (const panel of listed) {
        const url = `/api/v1/ops/panels/${encodeURIComponent(panel.id)}?minutes=${minutes}`;
        const answer = expectStatus(await admin.get(url), 200).json() as PanelAnswer & { panel: object };
        assert.deepEqual(answer.panel, panel);
        assert.ok(answer.timestamps.length >= 2 && answer.timestamps.length <= 300, url);
        for (const series of answer.series) {
          assert.equal(typeof series.name, 'string');
          assert.equal(series.values.length, answer.timestamps.length);
        }
      }
    }
    // A panel over `up` has data here: Prometheus's own target is up.
    const overUp = panels.find((p) => p.queries.some((q) => /\(\s*up\s*\)|^\s*up\s*$/.test(q.expr)));
    assert.ok(overUp, 'a panel over up');
    await eventually(async () => {
      const answer = (await admin.get(`/api/v1/ops/panels/${overUp.id}`)).json() as PanelAnswer;
      return answer.series.some((s) => s.name === 'prometheus' && s.values.some((v) => v === 1));
    }, `data in panel ${overUp.id}`);
  });

  it('answers alerts (none here) with the firing markers over the range', async () => {
    const answer = expectStatus(await admin.get('/api/v1/ops/alerts?minutes=60'), 200).json();
    assert.deepEqual(answer, { alerts: [], markers: [] });
  });

  it('refuses unknown panels (404) and bad ranges or parameters (400)', async () => {
    const id = String(panels[0]?.id);
    expectError(await admin.get('/api/v1/ops/panels/no-such-panel'), 404, 'not_found');
    expectError(await admin.get('/api/v1/ops/panels/__proto__'), 404, 'not_found');
    expectError(await admin.get(`/api/v1/ops/panels/${'x'.repeat(80)}`), 400, 'invalid_request');
    for (const minutes of ['abc', '-1', '1e9', '0', '99999', '1.5', '', '%00']) {
      expectError(await admin.get(`/api/v1/ops/panels/${id}?minutes=${minutes}`), 400, 'invalid_request');
      expectError(await admin.get(`/api/v1/ops/alerts?minutes=${minutes}`), 400, 'invalid_request');
    }
    expectError(await admin.get(`/api/v1/ops/panels/${id}?query=up`), 400, 'invalid_request');
    const posted = await admin.post('/api/v1/ops/panels', {});
    assert.ok(posted.statusCode >= 400 && posted.statusCode < 500, `POST: ${posted.statusCode}`);
  });

  it('takes the admin group away within seconds (the forward-auth cache)', async () => {
    await app.groups.remove(adminId, ['admin']);
    await eventually(async () => (await admin.get('/api/v1/ops/members')).statusCode === 403, 'refused');
    await app.groups.add(adminId, ['admin']);
    await eventually(async () => (await admin.get('/api/v1/ops/members')).statusCode === 200, 'allowed');
  });

  it('answers 503 monitoring_unavailable once Prometheus is gone, without its address', async () => {
    await prometheus.stop();
    const id = String(panels[0]?.id);
    for (const url of ['/api/v1/ops/members', `/api/v1/ops/panels/${id}`, '/api/v1/ops/alerts']) {
      const started = Date.now();
      const answer = expectError(await admin.get(url), 503, 'monitoring_unavailable');
      assert.ok(Date.now() - started < 3_500, `${url} took ${Date.now() - started} ms`);
      assert.doesNotMatch(answer.body, new RegExp(`${prometheus.port}|127\\.0\\.0\\.1|ECONNREFUSED`));
    }
  });
});

describe('the ops dashboard API without a (working) Prometheus', () => {
  it('answers 503 when no Prometheus is configured', async (t) => {
    const app = await appWithPrometheus(t, undefined);
    const { client } = await signedInAdmin(app);
    expectError(await client.get('/api/v1/ops/members'), 503, 'monitoring_unavailable');
    expectError(await client.get('/api/v1/ops/alerts'), 503, 'monitoring_unavailable');
  });

  it('gives up on a Prometheus that never answers, within its timeout', async (t) => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    t.after(() => {
      for (const socket of sockets) socket.destroy();
      silent.close();
    });
    const port = (silent.address() as { port: number }).port;
    const app = await appWithPrometheus(t, `http://127.0.0.1:${port}`, 500);
    const { client } = await signedInAdmin(app);
    const started = Date.now();
    expectError(await client.get('/api/v1/ops/members'), 503, 'monitoring_unavailable');
    assert.ok(Date.now() - started < 2_000, `took ${Date.now() - started} ms`);
  });

  it('keeps at most 4 calls at Prometheus per replica, and refuses a flood beyond its line with 429', async (t) => {
    // A Prometheus that holds every query until told to answer, counting how many it holds at once.
    const held: ServerResponse[] = [];
    let mostAtOnce = 0;
    let holding = true;
    const answer = (res: ServerResponse) =>
      res.end(JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [] } }));
    const slow = createHttpServer((_req, res) => {
      if (!holding) return answer(res);
      held.push(res);
      mostAtOnce = Math.max(mostAtOnce, held.length);
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise((resolve) => slow.close(resolve)));
    const port = (slow.address() as { port: number }).port;
    const app = await appWithPrometheus(t, `http://127.0.0.1:${port}`, 10_000);
    const { client } = await signedInAdmin(app);
    const panel = panels.find((p) => p.queries.length === 1);
    assert.ok(panel, 'a panel of one query');
    const url = `/api/v1/ops/panels/${panel.id}`;
    // 4 in flight, 64 waiting: of 100 at once, 32 are refused without waiting for Prometheus.
    const early: LightMyRequestResponse[] = [];
    const flood = Array.from({ length: 100 }, () =>
      client.get(url).then((response) => {
        if (holding) early.push(response);
        return response;
      }),
    );
    await eventually(async () => held.length === 4 && early.length === 32, '4 held, 32 refused');
    for (const refused of early) {
      expectError(refused, 429, 'rate_limited');
      assert.equal(refused.headers['retry-after'], '1');
    }
    holding = false;
    for (const res of held.splice(0)) answer(res);
    const statuses = (await Promise.all(flood)).map((response) => response.statusCode);
    assert.deepEqual(
      [statuses.filter((s) => s === 200).length, statuses.filter((s) => s === 429).length],
      [68, 32],
    );
    assert.equal(mostAtOnce, 4);
    // Once the line is clear, the next request gets in again.
    expectStatus(await client.get(url), 200);
  });
});
