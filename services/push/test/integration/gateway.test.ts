import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import WebSocket from 'ws';
import { buildTestApp, testConfig } from '../../../auth/test/helpers/build-app.ts';
import { enrolledUser, expectStatus, PASSWORD, TestClient } from '../../../auth/test/helpers/client.ts';
import { TestPhone } from '../../../auth/test/helpers/test-phone.ts';
import { signAuth } from '../../../phone/public/lib/device-crypto.js';
import { connectAs, Socket, startGateway } from '../helpers/gateway-client.ts';

describe('the push gateway', async () => {
  const auth = await buildTestApp({ after });
  let gateway = await startGateway(auth, 'push-a');
  after(() => gateway.close());

  it('refuses a phone that cannot prove its device key', async () => {
    const user = await enrolledUser(auth);
    const phone = await TestPhone.pair(auth, user);
    const other = await TestPhone.pair(auth, await enrolledUser(auth));

    const forged = new Socket(gateway.url);
    const challenge = await forged.next('challenge');
    // Signed by another device's key, or over another nonce: both refused.
    forged.send({
      type: 'auth',
      deviceId: phone.deviceId,
      signature: await signAuth(other.signingKey, phone.deviceId, String(challenge.nonce)),
    });
    assert.equal((await forged.closed).code, 4401);
    const stale = new Socket(gateway.url);
    await stale.next('challenge');
    stale.send({
      type: 'auth',
      deviceId: phone.deviceId,
      signature: await signAuth(phone.signingKey, phone.deviceId, 'an old nonce'),
    });
    assert.equal((await stale.closed).code, 4401);

    const unknown = new Socket(gateway.url);
    await unknown.next('challenge');
    unknown.send({
      type: 'auth',
      deviceId: '00000000-0000-4000-8000-000000000000',
      signature: 'A'.repeat(86),
    });
    assert.equal((await unknown.closed).code, 4401);

    for (const garbage of ['not json', '[1,2]', '{"type":"ack","id":"1-1"}', 'null']) {
      const socket = new Socket(gateway.url);
      await socket.next('challenge');
      socket.ws.send(garbage);
      assert.equal((await socket.closed).code, 4400, garbage);
    }
    const huge = new Socket(gateway.url);
    await huge.next('challenge');
    huge.ws.send('x'.repeat(10_000));
    assert.equal((await huge.closed).code, 1009, 'a frame over the size limit closes the socket');
  });

  it('delivers the account message, and an acknowledged message is not sent again', async () => {
    const user = await enrolledUser(auth);
    const phone = await TestPhone.pair(auth, user);
    const first = await connectAs(gateway.url, phone);
    const message = await first.next('message');
    const opened = await phone.open(message);
    assert.equal(opened.type, 'account');
    assert.match(String(opened.secret), /^[A-Z2-7]{32}$/);
    assert.notEqual(opened.secret, user.secret, 'a secret of its own');
    first.send({ type: 'ack', id: message.id });
    await new Promise((resolve) => setTimeout(resolve, 200));
    first.ws.close();
    const second = await connectAs(gateway.url, phone);
    await assert.rejects(second.next('message', 500), /no message frame/);
    second.ws.close();
  });

  it('a prompt reaches a connected phone at once; an unacknowledged one comes again from another replica', async () => {
    const user = await enrolledUser(auth);
    const phone = await TestPhone.pair(auth, user);
    const socket = await connectAs(gateway.url, phone);
    const account = await socket.next('message');
    socket.send({ type: 'ack', id: account.id });

    const browser = new TestClient(auth);
    expectStatus(await browser.post('/api/v1/login', { username: user.username, password: PASSWORD }), 200);
    const sent = expectStatus(await browser.post('/api/v1/login/push', {}), 200).json();
    const prompt = await socket.next('message', 2_000);
    const opened = await phone.open(prompt);
    assert.equal(opened.challengeId, sent.challengeId);

    // This replica dies before the phone acknowledged: the other replica sends the prompt again.
    const dying = gateway;
    gateway = await startGateway(auth, 'push-b'); // later tests use this one
    await dying.close();
    assert.equal((await socket.closed).code, 1012);
    const again = await connectAs(gateway.url, phone);
    const redelivered = await again.next('message');
    assert.equal(redelivered.id, prompt.id);
    expectStatus(await phone.answer(sent.challengeId, 'approve', sent.number), 200);
    expectStatus(await browser.post('/api/v1/login/push/wait', { challengeId: sent.challengeId }), 200);
    again.ws.close();
  });

  it('a phone offline at push time gets the prompt when it connects, while it is valid', async () => {
    const user = await enrolledUser(auth);
    const phone = await TestPhone.pair(auth, user);
    const browser = new TestClient(auth);
    expectStatus(await browser.post('/api/v1/login', { username: user.username, password: PASSWORD }), 200);
    const sent = expectStatus(await browser.post('/api/v1/login/push', {}), 200).json();
    const socket = await connectAs(gateway.url, phone);
    const opened = [];
    for (let i = 0; i < 2; i++) opened.push(await phone.open(await socket.next('message')));
    assert.deepEqual(opened.map((m) => m.type).sort(), ['account', 'login']);
    assert.equal(opened.find((m) => m.type === 'login')?.challengeId, sent.challengeId);
    socket.ws.close();
  });

  it('phones that leave during the handshake leave nothing behind', async (t) => {
    const user = await enrolledUser(auth);
    const phone = await TestPhone.pair(auth, user);
    const own = await startGateway(auth, 'push-handshake');
    t.after(() => own.close());
    const connected = () => own.hub.size;
    // A phone that completes the handshake is counted: the counts below mean something.
    const live = await connectAs(own.url, phone);
    assert.equal(connected(), 1);
    for (let i = 0; i < 20; i++) {
      const socket = new Socket(own.url);
      const challenge = await socket.next('challenge');
      socket.send({
        type: 'auth',
        deviceId: phone.deviceId,
        signature: await signAuth(phone.signingKey, phone.deviceId, String(challenge.nonce)),
      });
      socket.ws.terminate(); // while the gateway looks the device key up
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(connected(), 1, 'only the phone that completed its handshake');
    live.ws.close();
    await live.closed;
    for (let i = 0; i < 20 && connected() !== 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(connected(), 0);
  });

  it('a live message behind a hundred expired ones is still delivered', async () => {
    const user = await enrolledUser(auth);
    const phone = await TestPhone.pair(auth, user);
    const device = await auth.devices.findById(phone.deviceId);
    assert.ok(device);
    for (let i = 0; i < 120; i++)
      await auth.phoneChannel.send([device], { type: 'code', code: 'old' }, Date.now() + 50);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await auth.phoneChannel.send([device], { type: 'code', code: 'live' }, Date.now() + 60_000);
    const socket = await connectAs(gateway.url, phone);
    const opened = [];
    for (let i = 0; i < 2; i++) opened.push(await phone.open(await socket.next('message')));
    assert.deepEqual(opened.map((m) => m.type).sort(), ['account', 'code']);
    assert.equal(opened.find((m) => m.type === 'code')?.code, 'live');
    socket.ws.close();
  });

  it('removing a device closes its connection with 4403', async () => {
    const user = await enrolledUser(auth);
    const phone = await TestPhone.pair(auth, user);
    const socket = await connectAs(gateway.url, phone);
    expectStatus(await user.client.request('DELETE', `/api/v1/devices/${phone.deviceId}`), 204);
    assert.equal((await socket.closed).code, 4403);
  });
});

describe('the push gateway drops a phone that does not authenticate in time', async () => {
  const config = await testConfig();
  const auth = await buildTestApp({ after }, config);
  const gateway = await startGateway(auth, 'push-slow', { TWOFOLD_PUSH_AUTH_TIMEOUT_MS: '300' });
  after(() => gateway.close());

  it('closes with 4408', async () => {
    const socket = new Socket(gateway.url);
    await socket.next('challenge');
    assert.equal((await socket.closed).code, 4408);
  });
});

describe('the push gateway drops a phone that stops answering pings', async () => {
  const auth = await buildTestApp({ after });
  const gateway = await startGateway(auth, 'push-ping', { TWOFOLD_PUSH_PING_SECONDS: '1' });
  after(() => gateway.close());

  it('a silent phone is dropped within two pings; one that answers stays', async () => {
    const user = await enrolledUser(auth);
    const phone = await TestPhone.pair(auth, user);
    const silent = await connectAs(gateway.url, phone, { autoPong: false });
    const answering = await connectAs(gateway.url, phone);
    const closed = await silent.closed;
    assert.equal(closed.code, 1006, 'terminated, not closed politely');
    assert.equal(answering.ws.readyState, WebSocket.OPEN);
    for (let i = 0; i < 20 && gateway.hub.size !== 1; i++)
      await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(gateway.hub.size, 1, 'the hub lets go of the dropped one');
    answering.ws.close();
  });
});
