// The attack the link codes close. Linking used to be "type the application's name and your username
// there", first come first served: Mallory linked "wiki" as "admin" before the real admin did, so
// wiki's verifications of "admin" prompted Mallory's phone, and Mallory, approving them, got into wiki
// as its admin. Now the application vouches for the username (it issues a link code for its own
// signed-in user) and the user vouches for the Twofold account (they enter the code there).
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createLinkCode, link, registerApplication, rp } from '../helpers/applications.ts';
import { buildTestApp } from '../helpers/build-app.ts';
import { enrolledUser, expectError, expectStatus } from '../helpers/client.ts';
import { TestPhone } from '../helpers/test-phone.ts';

describe("attack: claiming another person's username at an application", async () => {
  const app = await buildTestApp({ after });

  it("Mallory cannot link wiki as its admin, so wiki's verifications of admin never reach her phone", async () => {
    const wiki = await registerApplication(app);
    const mallory = await enrolledUser(app);
    const malloryPhone = await TestPhone.pair(app, mallory);

    // She types the application and the username she wants, as the old form allowed.
    const claimed = await mallory.client.post('/api/v1/account/applications', {
      application: wiki.name,
      username: 'admin',
    });
    assert.equal(claimed.statusCode, 400, `the typed claim is refused: ${claimed.body}`);
    const { applications } = expectStatus(
      await mallory.client.get('/api/v1/account/applications'),
      200,
    ).json();
    assert.deepEqual(applications, [], 'nothing linked');

    // Wiki asks Twofold to confirm its admin: nobody is linked as admin, nothing is sent anywhere.
    const asked = await rp(app, wiki.key, 'POST', '/api/v1/rp/verifications', {
      username: 'admin',
      method: 'push',
    });
    expectError(asked, 404, 'user_not_linked');
    assert.deepEqual(
      (await malloryPhone.inbox()).filter((m) => m.application === wiki.name),
      [],
      "no prompt of wiki's on Mallory's phone",
    );

    // The only code Mallory can get from wiki is for her own account there: it links her as herself.
    const own = await link(mallory, wiki, 'mallory');
    assert.equal(own.application.username, 'mallory');

    // The real admin signs in to wiki, which gives them a code for "admin"; they enter it on Twofold.
    const admin = await enrolledUser(app);
    const adminPhone = await TestPhone.pair(app, admin);
    await link(admin, wiki, 'admin');
    const started = expectStatus(
      await rp(app, wiki.key, 'POST', '/api/v1/rp/verifications', { username: 'admin', method: 'push' }),
      201,
    ).json();
    const prompt = await adminPhone.prompt(started.id);
    assert.equal(prompt.username, admin.username, "the admin's phone is asked");
    assert.equal(
      (await malloryPhone.inbox()).filter((m) => m.type === 'login' && m.application === wiki.name).length,
      0,
      'Mallory is never asked about admin',
    );
    // Mallory cannot answer it either: her phone is not the account's.
    const answered = await malloryPhone.answer(started.id, 'approve', started.number as number);
    expectError(answered, 401, 'invalid_signature');
    const state = await rp(app, wiki.key, 'GET', `/api/v1/rp/verifications/${started.id}`);
    assert.equal(expectStatus(state, 200).json().state, 'pending');

    // Nor can she take "admin" over with a code of hers, or with a code she guesses.
    const mine = await createLinkCode(app, wiki, 'mallory');
    expectStatus(await mallory.client.post('/api/v1/account/applications', { code: mine.code }), 201);
    for (const code of ['ADMIN-ADMIN', 'AAAAA-AAAAA', 'admin']) {
      expectError(
        await mallory.client.post('/api/v1/account/applications', { code }),
        400,
        'invalid_link_code',
      );
    }
    const still = expectStatus(
      await rp(app, wiki.key, 'POST', '/api/v1/rp/verifications', { username: 'admin', method: 'push' }),
      201,
    ).json();
    assert.equal((await adminPhone.prompt(still.id)).username, admin.username);
  });
});
