// The per-address budgets through nginx, with the request rate limit in force (every other cluster
// test lifts it): failed passwords per client IP (refunded by a success) and requests per client
// IP, each simulated client on a loopback address of its own (127.x.y.z), as nginx sees it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestCluster, type TestCluster } from '../support/cluster.ts';
import { PASSWORD, uniqueName } from '../support/failover-workers.ts';
import { HttpClient, type HttpResult } from '../support/http-client.ts';

// Lowered from the defaults (100 failed passwords per IP per 15 min, 600 requests per minute) to keep the test short.
const PASSWORD_FAILURES_PER_IP = 5;
const REQUESTS_PER_MINUTE = 40;

/** An error answer's status and code, e.g. "429 too_many_attempts"; "200" for a success. */
const outcome = (r: HttpResult) => (r.status < 400 ? `${r.status}` : `${r.status} ${r.body?.error?.code}`);

describe('per-address limits through the load balancers', () => {
  let cluster: TestCluster;
  let lbs: [string, string];
  let username: string;

  /** A client at `address`; its requests alternate between lb-a and lb-b. */
  function clientAt(address: string) {
    let turn = 0;
    const next = () => lbs[turn++ % 2] as string;
    return {
      /** A password attempt for `user` (default: a name nobody has, so no account's own budget is touched). */
      login: async (password: string, user = uniqueName('nobody')) =>
        outcome(
          await new HttpClient(next(), { localAddress: address }).post('/api/v1/login', {
            username: user,
            password,
          }),
        ),
      post: (path: string) => new HttpClient(next(), { localAddress: address }).post(path),
      get: (path: string) => new HttpClient(next(), { localAddress: address }).get(path),
    };
  }

  before(async () => {
    cluster = await startTestCluster({
      authEnv: {
        TWOFOLD_RATE_LIMIT_MAX: String(REQUESTS_PER_MINUTE),
        TWOFOLD_RATE_LIMIT_WINDOW_SECONDS: '60',
        TWOFOLD_MAX_PASSWORD_FAILURES_PER_IP: String(PASSWORD_FAILURES_PER_IP),
      },
    });
    lbs = cluster.lbUrls as [string, string];
    username = uniqueName('limits');
    const registered = await new HttpClient(lbs[0], { localAddress: '127.0.9.1' }).post('/api/v1/register', {
      username,
      password: PASSWORD,
    });
    assert.equal(registered.status, 201);
  });
  after(() => cluster?.destroy());

  it('the failed password after the per-address budget gets 429 too_many_attempts; another address still logs in', async () => {
    const attacker = clientAt('127.0.10.1');
    const failures = [];
    for (let i = 0; i < PASSWORD_FAILURES_PER_IP; i += 1)
      failures.push(await attacker.login('wrong password!'));
    assert.deepEqual(failures, Array(PASSWORD_FAILURES_PER_IP).fill('401 invalid_credentials'));
    assert.equal(await attacker.login('wrong password!'), '429 too_many_attempts');
    const locked = await new HttpClient(lbs[1], { localAddress: '127.0.10.1' }).post('/api/v1/login', {
      username,
      password: PASSWORD,
    });
    assert.equal(outcome(locked), '429 too_many_attempts', 'even the right password, from that address');
    const retryAfter = Number(locked.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= 900, `Retry-After ${retryAfter}: within the 15-minute window`);

    const neighbour = clientAt('127.0.10.2');
    assert.equal(await neighbour.login('wrong password!'), '401 invalid_credentials');
    assert.equal(await neighbour.login(PASSWORD, username), '200');
  });

  it('a successful login gives back the attempt it consumed: failures before it still leave the budget', async () => {
    const client = clientAt('127.0.11.1');
    for (let i = 0; i < PASSWORD_FAILURES_PER_IP - 1; i += 1) {
      assert.equal(await client.login('wrong password!'), '401 invalid_credentials', `failure ${i + 1}`);
    }
    // Without the refund each success would count: the budget would be spent after the first.
    assert.equal(await client.login(PASSWORD, username), '200');
    assert.equal(await client.login(PASSWORD, username), '200');
    assert.equal(
      await client.login('wrong password!'),
      '401 invalid_credentials',
      'the last failure of the budget',
    );
    assert.equal(await client.login('wrong password!'), '429 too_many_attempts');
  });

  it('the request after the per-address rate limit gets 429 rate_limited, through either load balancer; another address is served', async () => {
    // A registration without a body: counted by the limiter, refused by validation (400) and cheap.
    const client = clientAt('127.0.12.1');
    const answers = [];
    for (let i = 0; i < REQUESTS_PER_MINUTE; i += 1)
      answers.push(outcome(await client.post('/api/v1/register')));
    assert.deepEqual(answers, Array(REQUESTS_PER_MINUTE).fill('400 invalid_request'));
    const limited = await client.post('/api/v1/register');
    assert.equal(outcome(limited), '429 rate_limited');
    const retryAfter = Number(limited.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}: within the minute`);
    assert.equal(
      outcome(await client.post('/api/v1/register')),
      '429 rate_limited',
      'through the other load balancer too',
    );
    // Session checks and pages are never limited: a protected application asks on every asset.
    assert.equal(outcome(await client.get('/api/v1/session')), '401 unauthenticated');
    assert.equal((await client.get('/login')).status, 200);
    assert.equal(outcome(await clientAt('127.0.12.2').post('/api/v1/register')), '400 invalid_request');
  });
});
