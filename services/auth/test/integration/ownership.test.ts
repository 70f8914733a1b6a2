import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { buildTestApp } from '../helpers/build-app.ts';
import { enrolledUser, expectStatus, PASSWORD, TestClient } from '../helpers/client.ts';
import { TestPhone } from '../helpers/test-phone.ts';

function assertNotFound(response: { statusCode: number; json(): { error: { code: string } } }) {
  assert.equal(response.statusCode, 404);
  assert.equal(response.json().error.code, 'not_found');
}

describe("another user's devices and sessions are out of reach", async () => {
  const app = await buildTestApp({ after });

  it("DELETE of another user's device is 404 not_found; the victim's phone still answers prompts", async () => {
    const victim = await enrolledUser(app);
    const attacker = await enrolledUser(app);
    const phone = await TestPhone.pair(app, victim);

    assertNotFound(await attacker.client.request('DELETE', `/api/v1/devices/${phone.deviceId}`));

    const listed = expectStatus(await victim.client.get('/api/v1/devices'), 200).json();
    assert.deepEqual(
      listed.devices.map((d: { id: string }) => d.id),
      [phone.deviceId],
    );
    // The phone still works as a factor: it approves the victim's next login.
    const browser = new TestClient(app);
    expectStatus(await browser.post('/api/v1/login', { username: victim.username, password: PASSWORD }), 200);
    const sent = expectStatus(await browser.post('/api/v1/login/push', {}), 200).json();
    assert.deepEqual((await phone.answer(sent.challengeId, 'approve', sent.number)).json(), {
      outcome: 'approved',
    });
    const waited = expectStatus(
      await browser.post('/api/v1/login/push/wait', { challengeId: sent.challengeId }),
      200,
    ).json();
    assert.equal(waited.state, 'authenticated');
  });

  it("DELETE of another user's session is 404 not_found; the victim's session still works", async () => {
    const victim = await enrolledUser(app);
    const attacker = await enrolledUser(app);
    const { sessions } = expectStatus(await victim.client.get('/api/v1/me/sessions'), 200).json();
    assert.equal(sessions.length, 1);
    const victimSessionId = sessions[0].id as string;

    assertNotFound(await attacker.client.request('DELETE', `/api/v1/me/sessions/${victimSessionId}`));

    const me = expectStatus(await victim.client.get('/api/v1/me'), 200).json();
    assert.equal(me.user.username, victim.username);
    const afterwards = expectStatus(await victim.client.get('/api/v1/me/sessions'), 200).json();
    assert.deepEqual(
      afterwards.sessions.map((s: { id: string }) => s.id),
      [victimSessionId],
    );
    // The attacker's own session was not the one ended either.
    expectStatus(await attacker.client.get('/api/v1/me'), 200);
  });

  it('an unknown device or session id is 404 not_found too', async () => {
    const user = await enrolledUser(app);
    assertNotFound(
      await user.client.request('DELETE', '/api/v1/devices/00000000-0000-4000-8000-000000000000'),
    );
    assertNotFound(await user.client.request('DELETE', `/api/v1/me/sessions/${'A'.repeat(22)}`));
  });
});
