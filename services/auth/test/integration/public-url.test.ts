// Issue 9 §6: pairing links pointed at the request's Host header. They point at the operator's
// TWOFOLD_PUBLIC_URL (the supervisor sets it), whatever Host a request carries; without one,
// pairing is refused before any factor is spent.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { buildTestApp, testConfig } from '../helpers/build-app.ts';
import { enrolledUser, expectStatus, PASSWORD, totpCode } from '../helpers/client.ts';

describe('pairing links', () => {
  it('point at the configured public URL whatever the Host header says', async (t: TestContext) => {
    const base = await testConfig();
    const app = await buildTestApp(t, {
      ...base,
      push: { ...base.push, publicUrl: 'https://login.example.org' },
    });
    const { client, secret } = await enrolledUser(app);
    const body = { password: PASSWORD, code: await totpCode(secret, Date.now() + 30_000) };
    const pairing = expectStatus(
      await client.request('POST', '/api/v1/devices/pairing', body, { host: 'attacker.example' }),
      200,
    );
    assert.match(pairing.json().link, /^https:\/\/login\.example\.org\/phone\/#pair=[A-Za-z0-9_-]{43}$/);
  });

  it('are refused with 409 pairing_unavailable without a public URL, and spend no attempt', async (t: TestContext) => {
    const base = await testConfig();
    const app = await buildTestApp(t, { ...base, push: { ...base.push, publicUrl: undefined } });
    const { client, secret } = await enrolledUser(app);
    for (let i = 0; i < 6; i += 1) {
      const refused = await client.post('/api/v1/devices/pairing', {
        password: 'wrong password!',
        code: '000000',
      });
      assert.equal(refused.statusCode, 409);
      assert.equal(refused.json().error.code, 'pairing_unavailable');
    }
    // Six refusals spent nothing of the step-up budget (5): the account page still takes a code.
    const codes = await client.post('/api/v1/me/recovery-codes', {
      code: await totpCode(secret, Date.now() + 30_000),
    });
    assert.equal(codes.statusCode, 200);
  });
});
