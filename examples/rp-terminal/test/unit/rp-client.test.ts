// The examples' verification API client against a scripted fetch: what it sends, the errors it
// raises, and how its long-poll loop treats a Twofold that fails over or never answers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TwofoldClient, TwofoldError } from '../../../rp-client.ts';

const KEY = 'tfk_0123456789ab_secretsecretsecretsecretsecretsecretsecret12';

type Step = (url: string, init: RequestInit) => Response | Promise<Response>;

/** A fetch that answers with each step in turn, recording the requests. */
function scripted(steps: Step[]) {
  const requests: Array<{ url: string; init: RequestInit }> = [];
  const fake: typeof fetch = async (input, init = {}) => {
    requests.push({ url: String(input), init });
    const step = steps.shift();
    if (!step) throw new Error('no more scripted answers');
    return step(String(input), init);
  };
  return { fake, requests };
}

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}) =>
  () =>
    new Response(JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json', ...headers },
    });
const refused = () => {
  throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
};

describe('rp-client', () => {
  it('starts a verification with the key as a bearer token, and reads number and expiry', async () => {
    const expiresAt = new Date(Date.now() + 120_000).toISOString();
    const { fake, requests } = scripted([json(201, { id: 'v1', state: 'pending', number: 42, expiresAt })]);
    const client = new TwofoldClient({ url: 'http://twofold.test:8080/', apiKey: KEY, fetch: fake });
    const started = await client.createVerification('alice', 'push');
    assert.deepEqual(started, { id: 'v1', state: 'pending', number: 42, expiresAt: Date.parse(expiresAt) });
    const request = requests[0];
    assert.ok(request);
    assert.equal(request.url, 'http://twofold.test:8080/api/v1/rp/verifications');
    assert.equal(request.init.method, 'POST');
    assert.equal((request.init.headers as Record<string, string>).authorization, `Bearer ${KEY}`);
    assert.deepEqual(JSON.parse(String(request.init.body)), { username: 'alice', method: 'push' });
    assert.ok(request.init.signal instanceof AbortSignal, 'every request has a timeout');
  });

  it("throws the API's error code and message, with Retry-After; never the key", async () => {
    const { fake } = scripted([
      json(
        429,
        { error: { code: 'too_many_attempts', message: 'Too many attempts.' } },
        { 'retry-after': '30' },
      ),
      json(404, { error: { code: 'user_not_linked', message: 'No user has linked this application.' } }),
      refused,
      json(503, { error: { code: 'unavailable', message: 'Try again.' } }),
      () => new Response('<html>bad gateway</html>', { status: 502 }),
    ]);
    const client = new TwofoldClient({ url: 'http://twofold.test', apiKey: KEY, fetch: fake });
    const errors: TwofoldError[] = [];
    for (let i = 0; i < 5; i += 1) {
      await client.createVerification('alice', 'code').then(
        () => assert.fail('no error'),
        (error: unknown) => {
          assert.ok(error instanceof TwofoldError);
          errors.push(error);
        },
      );
    }
    assert.deepEqual(
      errors.map((e) => [e.code, e.status, e.retryAfterSeconds, e.transient]),
      [
        ['too_many_attempts', 429, 30, false],
        ['user_not_linked', 404, undefined, false],
        ['unavailable', undefined, undefined, true],
        ['unavailable', 503, undefined, true],
        ['unavailable', 502, undefined, true],
      ],
    );
    assert.match(errors[2]?.message ?? '', /ECONNREFUSED/);
    assert.ok(errors.every((e) => !e.message.includes(KEY)));
  });

  it('waitForAnswer long-polls through pending answers and a failover, until decided', async () => {
    const { fake, requests } = scripted([
      json(200, { id: 'v1', state: 'pending' }),
      refused,
      json(503, { error: { code: 'unavailable', message: 'draining' } }),
      json(200, { id: 'v1', state: 'approved' }),
    ]);
    const client = new TwofoldClient({
      url: 'http://twofold.test',
      apiKey: KEY,
      fetch: fake,
      pollSeconds: 20,
    });
    assert.equal(await client.waitForAnswer('v1', { deadlineMs: Date.now() + 60_000 }), 'approved');
    assert.equal(requests.length, 4);
    assert.match(requests[0]?.url ?? '', /\/api\/v1\/rp\/verifications\/v1\?wait=20$/);
  });

  it('waitForAnswer: an API error is thrown at once; past the deadline the answer is expired', async () => {
    const gone = scripted([json(404, { error: { code: 'not_found', message: 'No such verification.' } })]);
    const client = new TwofoldClient({ url: 'http://twofold.test', apiKey: KEY, fetch: gone.fake });
    await assert.rejects(
      client.waitForAnswer('v1'),
      (e: unknown) => (e as TwofoldError).code === 'not_found',
    );

    const slow = scripted([
      json(200, { id: 'v1', state: 'pending' }),
      json(200, { id: 'v1', state: 'pending' }),
    ]);
    const patient = new TwofoldClient({ url: 'http://twofold.test', apiKey: KEY, fetch: slow.fake });
    assert.equal(await patient.waitForAnswer({ id: 'v1', expiresAt: Date.now() - 5_000 }), 'expired');
    assert.equal(slow.requests.length, 0, 'nothing asked past the deadline');
  });

  it('submitCode: approved or denied; too late is expired', async () => {
    const { fake, requests } = scripted([
      json(200, { id: 'v1', state: 'denied' }),
      json(410, { error: { code: 'verification_expired', message: 'This verification has expired.' } }),
    ]);
    const client = new TwofoldClient({ url: 'http://twofold.test', apiKey: KEY, fetch: fake });
    assert.equal(await client.submitCode('v1', '123456'), 'denied');
    assert.equal(await client.submitCode('v1', '123456'), 'expired');
    assert.equal(requests[0]?.url, 'http://twofold.test/api/v1/rp/verifications/v1/code');
    assert.deepEqual(JSON.parse(String(requests[0]?.init.body)), { code: '123456' });
  });

  it('createLinkCode asks for a code for one username; unlink ends a link, false when there was none', async () => {
    const expiresAt = new Date(Date.now() + 600_000).toISOString();
    const { fake, requests } = scripted([
      json(201, { code: 'ABCDE-23456', expiresAt }),
      json(201, { expiresAt }),
      () => new Response(null, { status: 204 }),
      json(404, { error: { code: 'user_not_linked', message: 'No user has linked this application.' } }),
      json(429, { error: { code: 'rate_limited', message: 'Too many requests.' } }, { 'retry-after': '5' }),
    ]);
    const client = new TwofoldClient({ url: 'http://twofold.test', apiKey: KEY, fetch: fake });
    assert.deepEqual(await client.createLinkCode('alice'), {
      code: 'ABCDE-23456',
      expiresAt: Date.parse(expiresAt),
    });
    assert.equal(requests[0]?.url, 'http://twofold.test/api/v1/rp/link-codes');
    assert.equal(requests[0]?.init.method, 'POST');
    assert.deepEqual(JSON.parse(String(requests[0]?.init.body)), { username: 'alice' });
    await assert.rejects(
      client.createLinkCode('alice'),
      (e: unknown) => (e as TwofoldError).code === 'bad_response',
    );

    assert.equal(await client.unlink('Zoë Ünï/x'), true);
    assert.equal(requests[2]?.url, 'http://twofold.test/api/v1/rp/links/Zo%C3%AB%20%C3%9Cn%C3%AF%2Fx');
    assert.equal(requests[2]?.init.method, 'DELETE');
    assert.equal(requests[2]?.init.body, undefined);
    assert.equal(await client.unlink('nobody'), false);
    await assert.rejects(
      client.unlink('alice'),
      (e: unknown) =>
        (e as TwofoldError).code === 'rate_limited' && (e as TwofoldError).retryAfterSeconds === 5,
    );
  });
});
