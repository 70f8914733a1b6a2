// Issue 9 §6: behind a load balancer that terminates TLS (it says so with X-Forwarded-Proto, and
// the replicas believe their one trusted hop): Secure cookies and HSTS; on plain HTTP, neither.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { parseTrustProxy } from '../../../common/src/service-env.ts';
import { buildTestApp, testConfig } from '../helpers/build-app.ts';
import { PASSWORD, TestClient, uniqueUsername } from '../helpers/client.ts';

describe('TLS terminated at the load balancer', () => {
  it('marks cookies Secure and sends HSTS over https, neither over http', async (t: TestContext) => {
    const app = await buildTestApp(t, await testConfig({ trustProxy: parseTrustProxy('127.0.0.1') }));
    const username = uniqueUsername('tls');
    const over = (proto: string) => ({ 'x-forwarded-proto': proto });
    const client = new TestClient(app);
    await client.request('POST', '/api/v1/register', { username, password: PASSWORD }, over('https'));

    const https = await client.request(
      'POST',
      '/api/v1/login',
      { username, password: PASSWORD },
      over('https'),
    );
    assert.equal(https.statusCode, 200);
    assert.equal(https.headers['strict-transport-security'], 'max-age=31536000');
    assert.match(String(https.headers['set-cookie']), /twofold_sid=[^;]+;.*Secure/i);

    const http = await new TestClient(app).request(
      'POST',
      '/api/v1/login',
      { username, password: PASSWORD },
      over('http'),
    );
    assert.equal(http.statusCode, 200);
    assert.equal(http.headers['strict-transport-security'], undefined);
    assert.doesNotMatch(String(http.headers['set-cookie']), /Secure/i);

    // A client that is not the load balancer cannot claim https for itself.
    const direct = await buildTestApp(t, await testConfig({ trustProxy: parseTrustProxy('10.0.0.1') }));
    const claimed = await new TestClient(direct).request('GET', '/login', undefined, over('https'));
    assert.equal(claimed.headers['strict-transport-security'], undefined);
  });
});
