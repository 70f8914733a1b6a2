// Issue 10: GET /api/v1/session/redirect names the only URLs the login pages may send a browser
// back to (`rd`): http(s) on a registered application's host. Anything else is refused, so Twofold
// is never an open redirect.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { addApplication, removeApplication } from '../../src/admin/applications.ts';
import { buildTestApp } from '../helpers/build-app.ts';
import {
  enrolledUser,
  expectError,
  expectStatus,
  PASSWORD,
  TestClient,
  uniqueUsername,
} from '../helpers/client.ts';

const DOMAIN = 'twofold.localhost';

describe('GET /api/v1/session/redirect', async () => {
  const app = await buildTestApp({ after });
  const { client } = await enrolledUser(app);
  await addApplication(app.applications, 'app1', { hosts: [`app1.${DOMAIN}`] });
  await addApplication(app.applications, 'gone', { hosts: [`gone.${DOMAIN}`] });
  const redirect = (who: TestClient, rd: string) =>
    who.get(`/api/v1/session/redirect?rd=${encodeURIComponent(rd)}`);

  it('answers the URL when it is on a registered application host', async () => {
    for (const rd of [
      `http://app1.${DOMAIN}:8080/reports?year=2026&q=caf%C3%A9`,
      `https://APP1.${DOMAIN}/`,
    ]) {
      const response = expectStatus(await redirect(client, rd), 200);
      assert.equal(response.json().location, new URL(rd).href);
      assert.equal(response.headers['cache-control'], 'no-store');
    }
  });

  it('refuses anything else with 400 redirect_not_allowed', async () => {
    for (const rd of [
      'https://evil.com/',
      '//evil.com',
      `//app1.${DOMAIN}/`,
      `http://app1.${DOMAIN}.evil.com/`,
      `http://evil.com\\@app1.${DOMAIN}/`,
      `http://user:pw@app1.${DOMAIN}/`,
      `http://app1.${DOMAIN}@evil.com/`,
      'javascript:alert(document.cookie)',
      `javascript://app1.${DOMAIN}/%0aalert(1)`,
      `http://app1.${DOMAIN}\u3002evil.com/`,
      `http://\u0430pp1.${DOMAIN}/`,
      `http://app1.${DOMAIN}/\u202e`,
      `http://${DOMAIN}/`,
      `ftp://app1.${DOMAIN}/`,
      '<script>alert(1)</script>',
      "' OR '1'='1",
    ]) {
      expectError(await redirect(client, rd), 400, 'redirect_not_allowed');
    }
  });

  it('stops answering for an application once it is removed (within the cache TTL)', async () => {
    expectStatus(await redirect(client, `http://gone.${DOMAIN}/`), 200);
    await removeApplication(app.applications, 'gone');
    const deadline = Date.now() + 10_000;
    while ((await redirect(client, `http://gone.${DOMAIN}/`)).statusCode === 200) {
      assert.ok(Date.now() < deadline, 'still answered 10 s after the removal');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expectError(await redirect(client, `http://gone.${DOMAIN}/`), 400, 'redirect_not_allowed');
  });

  it('is for authenticated sessions only', async () => {
    const rd = `http://app1.${DOMAIN}/`;
    expectError(await redirect(new TestClient(app), rd), 401, 'unauthenticated');
    const halfway = new TestClient(app);
    const username = uniqueUsername();
    expectStatus(await halfway.post('/api/v1/register', { username, password: PASSWORD }), 201);
    expectStatus(await halfway.post('/api/v1/login', { username, password: PASSWORD }), 200);
    expectError(await redirect(halfway, rd), 403, 'forbidden');
  });

  it('refuses bad input with a 4xx in the contract shape', async () => {
    for (const url of [
      '/api/v1/session/redirect',
      '/api/v1/session/redirect?rd=',
      `/api/v1/session/redirect?rd=${'a'.repeat(10_000)}`,
      `/api/v1/session/redirect?rd=${encodeURIComponent(`http://app1.${DOMAIN}/${'a'.repeat(3_000)}`)}`,
      `/api/v1/session/redirect?rd=a&rd=b`,
      `/api/v1/session/redirect?rd=${encodeURIComponent(`http://app1.${DOMAIN}/`)}&next=x`,
      '/api/v1/session/redirect?rd=%00',
      '/api/v1/session/redirect?rd=%E2%80%AE',
      '/api/v1/session/redirect?rd=%ED%A0%80',
      '/api/v1/session/redirect?rd=%',
      '/api/v1/session/redirect?rd[]=x',
      '/api/v1/session/redirect?rd[a]=x',
    ]) {
      const response = await client.get(url);
      assert.ok(
        response.statusCode >= 400 && response.statusCode < 500,
        `${url.slice(0, 80)}: ${response.statusCode}`,
      );
      assert.match(response.json().error.code, /^(invalid_request|redirect_not_allowed)$/, url.slice(0, 80));
    }
  });
});
