// The web example against a real Twofold auth app: its own password first (checked locally; a wrong
// one never reaches Twofold), then Twofold's push or code, then its own signed-in session.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { TwofoldClient } from '../../rp-client.ts';
import {
  enrolledUser,
  enterLinkCode,
  linkedUser,
  linkedUserWithoutPhone,
  promptOf,
  registerApplication,
  startTwofold,
  type TestApplication,
  totpCode,
  wrongCode,
} from '../../rp-terminal/test/twofold-under-test.ts';
import { buildRpWeb } from '../app.ts';
import { UserStore } from '../users.ts';

const ORIGIN = 'http://localhost';
const LOCAL_PASSWORD = 'the application’s own password';

/** A browser on the example: cookies kept, forms posted from the example's own origin. */
class Browser {
  readonly jar = new Map<string, string>();
  constructor(
    private readonly app: FastifyInstance,
    private readonly origin = ORIGIN,
  ) {}

  async request(method: 'GET' | 'POST', url: string, form?: Record<string, string>) {
    const cookie = [...this.jar].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await this.app.inject({
      method,
      url,
      headers: {
        ...(cookie ? { cookie } : {}),
        ...(method === 'POST'
          ? { origin: this.origin, 'content-type': 'application/x-www-form-urlencoded' }
          : {}),
      },
      ...(method === 'POST' ? { payload: new URLSearchParams(form ?? {}).toString() } : {}),
    });
    for (const c of response.cookies) {
      const expired = c.value === '' || (c.expires && new Date(c.expires).getTime() <= Date.now());
      if (expired) this.jar.delete(c.name);
      else this.jar.set(c.name, c.value);
    }
    return response;
  }

  get = (url: string) => this.request('GET', url);
  post = (url: string, form?: Record<string, string>) => this.request('POST', url, form);
}

function redirectsTo(response: LightMyRequestResponse, location: string): void {
  assert.equal(response.statusCode, 303, response.body.slice(0, 300));
  assert.equal(response.headers.location, location);
}

describe('web example against a real Twofold', async () => {
  const twofold = await startTwofold({ after });
  const wiki: TestApplication = await registerApplication(twofold.app);
  /** Every request the example made to Twofold. */
  const calls: string[] = [];
  const countingFetch: typeof fetch = (input, init) => {
    calls.push(`${init?.method ?? 'GET'} ${new URL(String(input)).pathname}`);
    return fetch(input, init);
  };
  const users = new UserStore();
  const web = await buildRpWeb({
    appName: 'Example <Shop>',
    twofold: new TwofoldClient({ url: twofold.url, apiKey: wiki.key, fetch: countingFetch }),
    twofoldAccountUrl: `${twofold.url}/account`,
    users,
    cookieSecret: 'a test secret of at least thirty-two characters',
    pollSeconds: 10,
  });
  after(() => web.close());

  before(async () => {
    for (const name of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'])
      await users.set(name, LOCAL_PASSWORD);
  });

  /** The password step, as the user does it: the form, then the choice of second factor. */
  async function passwordStep(browser: Browser, username: string) {
    const form = await browser.get('/login');
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /<form method="post" action="\/login">/);
    redirectsTo(await browser.post('/login', { username, password: LOCAL_PASSWORD }), '/login/second');
    const second = await browser.get('/login/second');
    assert.equal(second.statusCode, 200);
    assert.match(second.body, /Confirm on my phone/);
  }

  it('local password, then a push approved on the phone: signed in as the user', async () => {
    const { phone } = await linkedUser(twofold.app, wiki, 'alice');
    const browser = new Browser(web);
    await passwordStep(browser, 'alice');
    redirectsTo(await browser.post('/login/push'), '/login/push');
    const page = await browser.get('/login/push');
    assert.equal(page.statusCode, 200);
    const number = Number(page.body.match(/id="number">(\d+)</)?.[1]);
    assert.ok(number > 0, 'the page shows the number to tap');
    assert.ok(!page.body.includes('tfk_') && !page.body.includes(wiki.key), 'no API key in the page');
    assert.match(page.headers['content-security-policy'] as string, /script-src 'self'/);

    // The page's script polls the example, which long-polls Twofold: the answer comes mid-poll.
    const status = browser.get('/login/push/status');
    const prompt = await promptOf(phone, wiki);
    assert.ok(prompt.choices.includes(number));
    assert.equal((await phone.answer(prompt.challengeId, 'approve', number)).statusCode, 200);
    assert.deepEqual((await status).json(), { state: 'approved', next: '/' });

    const home = await browser.get('/');
    assert.equal(home.statusCode, 200);
    assert.match(home.body, /Signed in as <span id="user">alice<\/span>/);
    assert.match(home.body, /Example &lt;Shop&gt;/, 'the page escapes what it shows');
    redirectsTo(await browser.get('/login'), '/');
    assert.ok(calls.some((c) => c.startsWith('GET /api/v1/rp/verifications/')));

    redirectsTo(await browser.post('/logout'), '/login?m=signed_out');
    redirectsTo(await browser.get('/'), '/login');
  });

  it('a wrong local password (or an unknown user) never calls Twofold', async () => {
    await linkedUser(twofold.app, wiki, 'bob');
    const before = calls.length;
    const browser = new Browser(web);
    for (const [username, password] of [
      ['bob', 'not the password at all'],
      ['nobody', LOCAL_PASSWORD],
      ['<script>alert(1)</script>', 'x'],
    ] as const) {
      const refused = await browser.post('/login', { username, password });
      assert.equal(refused.statusCode, 401);
      assert.match(refused.body, /Wrong username or password/);
      assert.ok(!refused.body.includes('<script>alert'), 'what was typed comes back escaped');
    }
    assert.equal(browser.jar.size, 0, 'no session');
    redirectsTo(await browser.get('/login/second'), '/login?m=session');
    redirectsTo(await browser.post('/login/push'), '/login?m=session');
    assert.equal(calls.length, before, 'not one request to Twofold');
  });

  it('a push denied on the phone: back to the login page with a message, not signed in', async () => {
    const { phone } = await linkedUser(twofold.app, wiki, 'carol');
    const browser = new Browser(web);
    await passwordStep(browser, 'carol');
    redirectsTo(await browser.post('/login/push'), '/login/push');
    await browser.get('/login/push');
    const prompt = await promptOf(phone, wiki);
    assert.equal((await phone.answer(prompt.challengeId, 'deny', 0)).statusCode, 200);
    // Without JavaScript: the "I have answered" link looks once and redirects.
    redirectsTo(await browser.get('/login/push/check'), '/login?m=denied');
    const login = await browser.get('/login?m=denied');
    assert.match(login.body, /refused on your phone/);
    redirectsTo(await browser.get('/'), '/login');
    redirectsTo(await browser.get('/login/push/check'), '/login?m=session');
  });

  it('a code: a wrong one sends the user back to log in, the right one signs them in', async () => {
    const { user } = await linkedUserWithoutPhone(twofold.app, wiki, 'dave');
    const browser = new Browser(web);
    await passwordStep(browser, 'dave');
    // Without a phone, "confirm on my phone" says so and the user may choose a code instead.
    redirectsTo(await browser.post('/login/push'), '/login/second?m=push_unavailable');
    assert.match((await browser.get('/login/second?m=push_unavailable')).body, /enter a code instead/);

    redirectsTo(await browser.post('/login/code'), '/login/code');
    assert.match((await browser.get('/login/code')).body, /autocomplete="one-time-code"/);
    const wrong = await wrongCode(user.secret, totpCode);
    redirectsTo(await browser.post('/login/code/check', { code: wrong }), '/login?m=code_rejected');
    redirectsTo(await browser.get('/'), '/login');

    await passwordStep(browser, 'dave');
    redirectsTo(await browser.post('/login/code'), '/login/code');
    redirectsTo(await browser.post('/login/code/check', { code: await totpCode(user.secret) }), '/');
    assert.match((await browser.get('/')).body, /Signed in as <span id="user">dave<\/span>/);
  });

  it('a user nobody linked yet gets a link code after the password; entered on Twofold, they sign in', async () => {
    const user = await enrolledUser(twofold.app); // at Twofold, never linked to this application
    const browser = new Browser(web);
    await passwordStep(browser, 'erin');
    // Twofold does not know erin here: the link page, not a dead end.
    redirectsTo(await browser.post('/login/code'), '/link');
    const linkPage = await browser.get('/link');
    assert.equal(linkPage.statusCode, 200);
    assert.match(linkPage.body, /not linked to a Twofold account yet/);
    assert.ok(linkPage.body.includes(`href="${twofold.url}/account"`), "Twofold's account page");
    const shown = await browser.post('/link');
    assert.equal(shown.statusCode, 200);
    assert.equal(shown.headers['cache-control'], 'no-store', 'the code stays in no cache');
    const code = shown.body.match(/id="link-code">([A-Z2-9]{5}-[A-Z2-9]{5})</)?.[1];
    assert.ok(code, 'the page shows the link code');
    assert.match(shown.body, /href="\/login\/second"/, 'then back to the second factor');
    assert.ok(calls.includes('POST /api/v1/rp/link-codes'));

    const linked = await enterLinkCode(user, code);
    assert.equal(linked.status, 201, JSON.stringify(linked.body));
    assert.equal(linked.body.application.username, 'erin');
    redirectsTo(await browser.post('/login/code'), '/login/code');
    redirectsTo(await browser.post('/login/code/check', { code: await totpCode(user.secret) }), '/');
    assert.match((await browser.get('/')).body, /Signed in as <span id="user">erin<\/span>/);
    // Signed in, the user may link again (a new code) from the home page.
    assert.match((await browser.get('/')).body, /href="\/link"/);
    const again = await browser.post('/link');
    assert.match(again.body, /id="link-code">[A-Z2-9]{5}-[A-Z2-9]{5}</);
    assert.match(again.body, /href="\/"/);
  });

  it('a user whose Twofold account is linked gets no link code on the password alone', async () => {
    await linkedUserWithoutPhone(twofold.app, wiki, 'frank');
    const before = calls.length;
    const browser = new Browser(web);
    await passwordStep(browser, 'frank');
    redirectsTo(await browser.get('/link'), '/login/second');
    redirectsTo(await browser.post('/link'), '/login/second');
    assert.equal(calls.length, before, 'Twofold was not asked for a code');
    // Nor without any session.
    const stranger = new Browser(web);
    redirectsTo(await stranger.get('/link'), '/login?m=session');
    redirectsTo(await stranger.post('/link'), '/login?m=session');
    // Once Twofold found the user linked, the session cannot ask for one either.
    redirectsTo(await browser.post('/login/code'), '/login/code');
    redirectsTo(await browser.post('/link'), '/login/second');
    assert.ok(!calls.slice(before).includes('POST /api/v1/rp/link-codes'));
  });

  it('forms posted from another origin, or without one, are refused (CSRF)', async () => {
    const before = calls.length;
    const attacker = new Browser(web, 'https://evil.example');
    const forged = await attacker.post('/login', { username: 'alice', password: LOCAL_PASSWORD });
    assert.equal(forged.statusCode, 403);
    const noOrigin = await web.inject({
      method: 'POST',
      url: '/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ username: 'alice', password: LOCAL_PASSWORD }).toString(),
    });
    assert.equal(noOrigin.statusCode, 403);
    assert.equal(attacker.jar.size, 0);
    assert.equal(calls.length, before);

    // The session cookie is one other sites' requests never carry.
    const browser = new Browser(web);
    const accepted = await browser.post('/login', { username: 'alice', password: LOCAL_PASSWORD });
    const setCookie = String(accepted.headers['set-cookie']);
    assert.match(setCookie, /SameSite=Strict/i);
    assert.match(setCookie, /HttpOnly/i);
  });
});
