// The per-address API budget counted an application server's calls: all its users' verifications
// (long polls included) come from one address, so a busy application was refused with 429. The
// verification API (/api/v1/rp/*) has a budget per API key instead; refused keys, one per address.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { isBudgeted } from '../../src/plugins/external/rate-limit.ts';
import { createLinkCode, link, registerApplication, rp, startVerification } from '../helpers/applications.ts';
import { buildTestApp, testConfig } from '../helpers/build-app.ts';
import { enrolledUser, expectError, expectStatus, TestClient, uniqueUsername } from '../helpers/client.ts';

const ADDRESS_MAX = 20;
const KEY_MAX = 60;

describe('the verification API is budgeted per API key, not per address', () => {
  it("an application's calls never spend its address's budget; past its key's own budget: 429", async (t: TestContext) => {
    const base = await testConfig();
    const app = await buildTestApp(t, {
      ...base,
      rateLimit: { ...base.rateLimit, max: ADDRESS_MAX },
      push: { ...base.push, rpRateLimitMax: KEY_MAX },
    });
    // The browser and the application's server share the address (127.0.0.1), as on one machine.
    const wiki = await registerApplication(app);
    const shop = await registerApplication(app);
    const user = await enrolledUser(app);
    await link(user, wiki, 'busy'); // one link code: one of the key's requests
    const started = await startVerification(app, wiki, 'busy', 'code'); // two
    for (let i = 3; i <= KEY_MAX; i += 1) {
      const look = await rp(app, wiki.key, 'GET', `/api/v1/rp/verifications/${started.id}`);
      assert.equal(look.statusCode, 200, `request ${i} of the key: ${look.body}`);
    }
    assert.ok(KEY_MAX > ADDRESS_MAX * 2, 'far past what the address may spend');
    const refused = await rp(app, wiki.key, 'GET', `/api/v1/rp/verifications/${started.id}`);
    expectError(refused, 429, 'rate_limited');
    const retryAfter = Number(refused.headers['retry-after']);
    assert.ok(retryAfter > 0 && retryAfter <= base.rateLimit.windowSeconds, `retry-after ${retryAfter}`);
    expectError(
      await rp(app, wiki.key, 'POST', '/api/v1/rp/link-codes', { username: 'x' }),
      429,
      'rate_limited',
    );

    // Another application on the same address has its own budget; the address still has its own.
    await createLinkCode(app, shop, 'fresh');
    expectStatus(await user.client.get('/api/v1/me/activity'), 200);
    expectStatus(await user.client.get('/api/v1/account/applications'), 200);
    // The address's budget still works as before for the rest of the API.
    const anonymous = new TestClient(app);
    let spent = 0;
    while (
      (await anonymous.post('/api/v1/login', { username: uniqueUsername(), password: 'x'.repeat(12) }))
        .statusCode !== 429
    ) {
      spent += 1;
      assert.ok(spent <= ADDRESS_MAX, 'the address budget never ran out');
    }
    // …and running out of it does not stop the application's server.
    await createLinkCode(app, shop, 'still');
  });

  it("a refused key spends its address's budget of refused keys, not a budget of the key it names", async (t: TestContext) => {
    const base = await testConfig();
    const app = await buildTestApp(t, {
      ...base,
      rateLimit: { ...base.rateLimit, max: ADDRESS_MAX },
      push: { ...base.push, rpRateLimitMax: KEY_MAX },
    });
    const wiki = await registerApplication(app);
    const guess = `${wiki.key.slice(0, -4)}AAAA`; // the real key's id, a wrong secret
    const fromGuesser = (authorization?: string) =>
      app.inject({
        method: 'POST',
        url: '/api/v1/rp/link-codes',
        remoteAddress: '10.9.8.7',
        payload: { username: 'x' },
        headers: authorization ? { authorization } : {},
      });
    for (let i = 0; i < ADDRESS_MAX; i += 1) {
      const answer = await fromGuesser(i % 2 ? `Bearer ${guess}` : undefined);
      expectError(answer, 401, 'invalid_api_key');
    }
    expectError(await fromGuesser(`Bearer ${guess}`), 429, 'rate_limited');
    expectError(await fromGuesser(), 429, 'rate_limited');
    // The application itself, elsewhere, is not refused: the guesses spent nothing of its key's.
    for (let i = 0; i < ADDRESS_MAX + 5; i += 1) await createLinkCode(app, wiki, `user-${i}`);
  });

  it('which paths the per-address budget counts', () => {
    assert.equal(isBudgeted('POST', '/api/v1/login'), true);
    assert.equal(isBudgeted('GET', '/api/v1/me/activity'), true);
    assert.equal(isBudgeted('POST', '/api/v1/account/applications'), true, "the account page's link counts");
    assert.equal(isBudgeted('GET', '/api/v1/me'), false);
    assert.equal(isBudgeted('GET', '/api/v1/session?x=1'), false);
    assert.equal(isBudgeted('GET', '/auth/verify'), false);
    assert.equal(isBudgeted('POST', '/api/v1/rp/verifications'), false);
    assert.equal(isBudgeted('GET', '/api/v1/rp/verifications/x?wait=20'), false);
    assert.equal(isBudgeted('POST', '/api/v1/rp/link-codes'), false);
    assert.equal(isBudgeted('DELETE', '/api/v1/rp/links/alice'), false);
  });
});
