// Issue 10: one login for sibling subdomains: the session cookie's Domain is TWOFOLD_COOKIE_DOMAIN,
// but only for requests to a host within it; elsewhere (127.0.0.1) the cookie stays host-only.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { parseTrustProxy } from '../../../common/src/service-env.ts';
import { buildTestApp, testConfig } from '../helpers/build-app.ts';
import { COOKIE, enrolledUser, expectStatus, PASSWORD, TestClient, totpCode } from '../helpers/client.ts';

const DOMAIN = 'twofold.localhost';
const sessionCookies = (response: LightMyRequestResponse) =>
  response.cookies.filter((c) => c.name === COOKIE);
/** The session cookies set (@fastify/session also clears a host-only one when the id changes). */
const setCookies = (response: LightMyRequestResponse) =>
  sessionCookies(response).filter((c) => c.value !== '');

describe('single sign-on: the session cookie Domain', async () => {
  const config = await testConfig({
    trustProxy: parseTrustProxy('true'),
    applications: { cookieDomain: DOMAIN, loginUrl: null },
  });
  const app = await buildTestApp({ after }, config);
  const { username, secret } = await enrolledUser(app);
  const through = (host: string) => ({ 'x-forwarded-host': host });
  /** A password login through the load balancer as `host`: the client and the answer. */
  const logIn = async (host: string) => {
    const client = new TestClient(app);
    const response = await client.request(
      'POST',
      '/api/v1/login',
      { username, password: PASSWORD },
      through(host),
    );
    return { client, response: expectStatus(response, 200) };
  };

  it('is the cookie domain for a login on it or a subdomain, through every factor step', async () => {
    for (const host of [`${DOMAIN}:8080`, `${DOMAIN}`, `app1.${DOMAIN}:8081`, 'TWOFOLD.localhost:8080']) {
      const { response: login } = await logIn(host);
      assert.deepEqual(
        setCookies(login).map((c) => [c.domain, c.path, c.httpOnly, c.sameSite]),
        [[DOMAIN, '/', true, 'Lax']],
        host,
      );
    }
    const { client } = await logIn(DOMAIN);
    const code = await totpCode(secret, Date.now() + 30_000);
    const second = await client.request('POST', '/api/v1/login/totp', { code }, through(DOMAIN));
    expectStatus(second, 200);
    assert.deepEqual(
      setCookies(second).map((c) => c.domain),
      [DOMAIN],
      'the new session id after the factor keeps the Domain',
    );
    expectStatus(await client.request('GET', '/auth/verify', undefined, through(`app2.${DOMAIN}:8080`)), 200);
  });

  it('is left out for any other host: a cluster reached at 127.0.0.1 keeps working', async () => {
    for (const host of ['127.0.0.1:8080', 'localhost:8081', `evil${DOMAIN}`, `${DOMAIN}.evil.example`]) {
      const { client, response: login } = await logIn(host);
      assert.deepEqual(
        sessionCookies(login).map((c) => c.domain),
        [undefined],
        host,
      );
      expectStatus(await client.request('GET', '/api/v1/session', undefined, through(host)), 200);
    }
  });

  it('logout clears the cookie with the same Domain (and the host-only one)', async () => {
    const { client } = await logIn(DOMAIN);
    const logout = await client.request('POST', '/api/v1/logout', {}, through(`${DOMAIN}:8080`));
    expectStatus(logout, 204);
    const cleared = sessionCookies(logout);
    assert.deepEqual(cleared.map((c) => [c.value, c.domain ?? 'host-only']).sort(), [
      ['', 'host-only'],
      ['', DOMAIN],
    ]);
    for (const cookie of cleared) assert.ok((cookie.expires as Date).getTime() <= Date.now());
    const { client: elsewhere } = await logIn('127.0.0.1');
    const plain = await elsewhere.request('POST', '/api/v1/logout', {}, through('127.0.0.1'));
    assert.deepEqual(
      sessionCookies(plain).map((c) => c.domain),
      [undefined],
    );
  });
});
