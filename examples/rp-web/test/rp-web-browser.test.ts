// The web example in Debian's Chromium: the real forms (Origin, SameSite=Strict cookie), the push
// page's script polling the example while the phone answers, under the page's strict CSP.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { launchChromium, phonePage } from '../../../test/support/browser.ts';
import { TwofoldClient } from '../../rp-client.ts';
import {
  linkedUser,
  promptOf,
  registerApplication,
  startTwofold,
} from '../../rp-terminal/test/twofold-under-test.ts';
import { buildRpWeb } from '../app.ts';
import { UserStore } from '../users.ts';

const LOCAL_PASSWORD = 'the application’s own password';

describe('web example in a browser', async () => {
  const twofold = await startTwofold({ after });
  const wiki = await registerApplication(twofold.app);
  const users = new UserStore();
  await users.set('alice', LOCAL_PASSWORD);
  await users.set('bob', LOCAL_PASSWORD);
  const web = await buildRpWeb({
    appName: 'Example shop',
    twofold: new TwofoldClient({ url: twofold.url, apiKey: wiki.key }),
    users,
    cookieSecret: 'a test secret of at least thirty-two characters',
    pollSeconds: 5,
  });
  after(() => web.close());
  const base = await web.listen({ port: 0, host: '127.0.0.1' });
  const browser = await launchChromium();
  after(() => browser.close());

  async function toThePushPage(username: string) {
    const { page, context, problems } = await phonePage(browser);
    await page.goto(`${base}/`);
    await page.fill('input[name=username]', username);
    await page.fill('input[name=password]', LOCAL_PASSWORD);
    await page.click('button[type=submit]');
    await page.click('text=Confirm on my phone');
    const number = Number(await page.textContent('#number'));
    return { page, context, problems, number };
  }

  it('password, then the number tapped on the phone: the page moves on by itself to "signed in"', async () => {
    const { phone } = await linkedUser(twofold.app, wiki, 'alice');
    const { page, context, problems, number } = await toThePushPage('alice');
    const prompt = await promptOf(phone, wiki);
    assert.ok(prompt.choices.includes(number));
    await new Promise((resolve) => setTimeout(resolve, 500)); // the script is waiting by now
    assert.equal((await phone.answer(prompt.challengeId, 'approve', number)).statusCode, 200);
    await page.waitForURL(`${base}/`, { timeout: 15_000 });
    assert.equal(await page.textContent('#user'), 'alice');
    const [cookie] = await context.cookies();
    assert.equal(cookie?.sameSite, 'Strict');
    assert.equal(cookie?.httpOnly, true);
    await page.click('text=Sign out');
    assert.match((await page.textContent('[role=alert]')) ?? '', /signed out/);
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('denied on the phone: back to the sign-in page, which says so', async () => {
    const { phone } = await linkedUser(twofold.app, wiki, 'bob');
    const { page, context, problems } = await toThePushPage('bob');
    const prompt = await promptOf(phone, wiki);
    assert.equal((await phone.answer(prompt.challengeId, 'deny', 0)).statusCode, 200);
    await page.waitForURL(`${base}/login?m=denied`, { timeout: 15_000 });
    assert.match((await page.textContent('[role=alert]')) ?? '', /refused on your phone/);
    assert.deepEqual(problems, []);
    await context.close();
  });
});
