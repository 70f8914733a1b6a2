// Issue 10: GET /auth/verify applies each application's policy (one or two factors) and its allowed
// users and groups, by the host nginx forwards; a stranger gets 401 with the login page as Location.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { parseTrustProxy } from '../../../common/src/service-env.ts';
import { addApplication } from '../../src/admin/applications.ts';
import { buildTestApp, testConfig } from '../helpers/build-app.ts';
import {
  enrolledUser,
  expectError,
  expectStatus,
  PASSWORD,
  TestClient,
  uniqueUsername,
} from '../helpers/client.ts';

const DOMAIN = 'twofold.localhost';
const APP1 = `app1.${DOMAIN}`;
const OPEN = `open.${DOMAIN}`;
const LIGHT = `light.${DOMAIN}`;

/** /auth/verify as nginx asks it for a page of `host` (port 8080), with the page's URL. */
function verify(
  client: TestClient,
  host: string,
  page = '/reports?year=2026',
  extra: Record<string, string> = {},
) {
  return client.request('GET', '/auth/verify', undefined, {
    'x-forwarded-host': `${host}:8080`,
    'x-original-url': `http://${host}:8080${page}`,
    ...extra,
  });
}

async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** A user who proved the password only: `enrollment_required` (no factor yet) or `password_verified`. */
async function passwordOnly(app: FastifyInstance, enrolled?: string): Promise<TestClient> {
  const client = new TestClient(app);
  const username = enrolled ?? uniqueUsername();
  if (!enrolled) expectStatus(await client.post('/api/v1/register', { username, password: PASSWORD }), 201);
  expectStatus(await client.post('/api/v1/login', { username, password: PASSWORD }), 200);
  return client;
}

describe('forward auth: GET /auth/verify', async () => {
  const config = await testConfig({
    trustProxy: parseTrustProxy('true'),
    applications: { cookieDomain: DOMAIN, loginUrl: null },
  });
  const app = await buildTestApp({ after }, config);
  const staff = await enrolledUser(app);
  const outsider = await enrolledUser(app);
  const staffUser = await app.users.findByUsernameKey(staff.username.toLowerCase());
  await app.groups.add(staffUser?.id as string, ['staff', 'ops']);
  await addApplication(app.applications, 'app1', { hosts: [APP1], allowGroups: ['staff'] });
  await addApplication(app.applications, 'open', { hosts: [OPEN] });
  await addApplication(app.applications, 'light', { hosts: [LIGHT], policy: 'one_factor' });

  it('401 for a stranger, with Location: the login page on the cookie domain and the encoded rd', async () => {
    const response = expectError(await verify(new TestClient(app), APP1), 401, 'unauthenticated');
    const original = `http://${APP1}:8080/reports?year=2026`;
    assert.equal(response.headers.location, `http://${DOMAIN}:8080/login?rd=${encodeURIComponent(original)}`);
    assert.equal(response.headers['cache-control'], 'no-store');
    assert.equal(response.headers['remote-user'], undefined);
  });

  it('builds rd from X-Forwarded-Proto, the host and X-Forwarded-Uri when there is no X-Original-URL', async () => {
    const response = await new TestClient(app).request('GET', '/auth/verify', undefined, {
      'x-forwarded-host': `${APP1}:8443`,
      'x-forwarded-proto': 'https',
      'x-forwarded-uri': '/a/b?c=d&e=f',
    });
    const original = `https://${APP1}:8443/a/b?c=d&e=f`;
    assert.equal(
      response.headers.location,
      `https://${DOMAIN}:8443/login?rd=${encodeURIComponent(original)}`,
    );
  });

  it('200 for an allowed user, with Remote-User, -Email, -Name and -Groups', async () => {
    const response = expectStatus(await verify(staff.client, APP1), 200);
    assert.equal(response.headers['remote-user'], staff.username);
    assert.equal(response.headers['remote-name'], staff.username);
    assert.equal(response.headers['remote-email'], '');
    assert.equal(response.headers['remote-groups'], 'ops,staff');
    assert.equal(response.headers['cache-control'], 'no-store');
    assert.equal(response.headers.location, undefined);
  });

  it('Remote-Email carries the address the user registered with', async () => {
    const client = new TestClient(app);
    const username = uniqueUsername();
    const email = `${username}@example.org`;
    expectStatus(await client.post('/api/v1/register', { username, password: PASSWORD, email }), 201);
    const light = expectStatus(await verify(await passwordOnly(app, username), LIGHT), 200);
    assert.equal(light.headers['remote-email'], email);
    assert.equal(light.headers['remote-groups'], '');
  });

  it('403 application_forbidden for a signed-in user outside the allowed group, audited once a minute with the application', async () => {
    const response = expectError(await verify(outsider.client, APP1), 403, 'application_forbidden');
    // A page's assets, or a script retrying: refused every time, one audit row.
    for (let i = 0; i < 5; i += 1)
      expectError(await verify(outsider.client, APP1), 403, 'application_forbidden');
    assert.equal(response.headers['remote-user'], undefined);
    assert.equal(response.headers.location, undefined);
    const { rows } = await app.db.query(
      `SELECT result, detail FROM audit_events WHERE step = 'application-access' AND username = $1`,
      [outsider.username],
    );
    assert.deepEqual(rows, [{ result: 'rejected', detail: { application: 'app1', host: APP1 } }]);
    expectStatus(await verify(outsider.client, OPEN), 200);
    const allowed = await app.db.query(
      `SELECT 1 FROM audit_events WHERE step = 'application-access' AND username = $1`,
      [staff.username],
    );
    assert.equal(allowed.rowCount, 0, 'a 200 is not audited (hot path)');
  });

  it('one_factor passes after the password alone; two_factor and unknown hosts do not', async () => {
    for (const client of [await passwordOnly(app), await passwordOnly(app, outsider.username)]) {
      const state = expectStatus(await client.get('/api/v1/session'), 200).json().state;
      expectStatus(await verify(client, LIGHT), 200);
      const strict = expectError(await verify(client, OPEN), 401, 'unauthenticated');
      assert.match(strict.headers.location as string, /^http:\/\/twofold\.localhost:8080\/login\?rd=/, state);
      expectError(await verify(client, 'unknown.example'), 401, 'unauthenticated');
    }
  });

  it('a host that is no application gets the default: two factors, any user (ports and case ignored)', async () => {
    const response = expectStatus(await verify(outsider.client, 'Elsewhere.Example'), 200);
    assert.equal(response.headers['remote-user'], outsider.username);
    expectStatus(await verify(staff.client, '127.0.0.1'), 200);
    expectStatus(await verify(staff.client, APP1.toUpperCase()), 200);
    const stranger = expectError(
      await verify(new TestClient(app), 'elsewhere.example'),
      401,
      'unauthenticated',
    );
    assert.match(stranger.headers.location as string, /^http:\/\/elsewhere\.example:8080\/login\?rd=/);
  });

  it('without X-Forwarded-Host (or from an untrusted peer) the Host header is used', async () => {
    const response = await staff.client.request('GET', '/auth/verify', undefined, { host: `${APP1}:8080` });
    expectStatus(response, 200);
    const anonymous = await new TestClient(app).request('GET', '/auth/verify', undefined, {
      host: `${APP1}:8081`,
      'x-forwarded-uri': '/x',
    });
    assert.equal(
      anonymous.headers.location,
      `http://${DOMAIN}:8081/login?rd=${encodeURIComponent(`http://${APP1}:8081/x`)}`,
    );
  });

  it('a group change reaches /auth/verify within the cache TTL', async () => {
    const outsiderUser = await app.users.findByUsernameKey(outsider.username.toLowerCase());
    const id = outsiderUser?.id as string;
    expectError(await verify(outsider.client, APP1), 403, 'application_forbidden');
    await app.groups.add(id, ['staff']);
    await eventually(async () => (await verify(outsider.client, APP1)).statusCode === 200, 'admitted');
    await app.groups.remove(id, ['staff']);
    await eventually(async () => (await verify(outsider.client, APP1)).statusCode === 403, 'refused again');
  });

  it('a host that names an application by another spelling gets its rule; a malformed one is refused', async () => {
    // The attack: nginx picks app1's server block for "app1.twofold.localhost." or a bad port, but
    // the replica, unable to parse it, applied the default rule (any user): an outsider got in.
    expectError(await verify(outsider.client, `${APP1}.`), 403, 'application_forbidden');
    for (const host of [`${APP1}:99999`, `${APP1}:0`, `${APP1}:abc`, 'evil host']) {
      const answer = await outsider.client.request('GET', '/auth/verify', undefined, {
        'x-forwarded-host': host,
      });
      expectError(answer, 403, 'application_forbidden');
      assert.equal(answer.headers['remote-user'], undefined, host);
    }
    expectStatus(await verify(staff.client, `${APP1.toUpperCase()}.`), 200);
  });

  it('a malformed host gets no Location; odd headers never cause a 5xx', async () => {
    const response = await new TestClient(app).request('GET', '/auth/verify', undefined, {
      'x-forwarded-host': 'evil host:80',
    });
    expectError(response, 401, 'unauthenticated');
    assert.equal(response.headers.location, undefined);
    const odd: Array<Record<string, string>> = [
      { 'x-forwarded-host': `${APP1}:99999` },
      { 'x-forwarded-host': `${APP1}, evil.example` },
      { 'x-original-url': 'javascript:alert(1)' },
      { 'x-original-url': `http://${APP1}/${'a'.repeat(8_000)}` },
      { 'x-forwarded-uri': '/\u00e9\u00ff' },
      { 'x-forwarded-proto': 'gopher' },
      { 'x-forwarded-host': "'; DROP TABLE applications; --" },
    ];
    for (const headers of odd) {
      for (const client of [new TestClient(app), staff.client]) {
        const answer = await client.request('GET', '/auth/verify', undefined, headers);
        assert.ok(
          [200, 401, 403].includes(answer.statusCode),
          `${JSON.stringify(headers)}: ${answer.statusCode}`,
        );
        if (answer.statusCode !== 200) assert.match(answer.json().error.code, /^[a-z_]+$/);
        const location = answer.headers.location;
        if (typeof location === 'string') assert.match(location, /^https?:\/\/[^\s]+$/);
      }
    }
  });
});
