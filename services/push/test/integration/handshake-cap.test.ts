// Issue 9 §6: one address held 500 unauthenticated WebSockets on a push replica. A replica holds
// at most TWOFOLD_PUSH_MAX_HANDSHAKES connections still proving their key; more are closed at once.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { buildTestApp } from '../../../auth/test/helpers/build-app.ts';
import { enrolledUser } from '../../../auth/test/helpers/client.ts';
import { TestPhone } from '../../../auth/test/helpers/test-phone.ts';
import { connectAs, Socket, startGateway } from '../helpers/gateway-client.ts';

describe('connections still proving their key', async () => {
  const auth = await buildTestApp({ after });
  const gateway = await startGateway(auth, 'push-cap', { TWOFOLD_PUSH_MAX_HANDSHAKES: '3' });
  after(() => gateway.close());

  it('are capped per replica: the next is closed with 1013, and a proven phone still connects', async () => {
    const idle = [new Socket(gateway.url), new Socket(gateway.url), new Socket(gateway.url)];
    for (const socket of idle) await socket.next('challenge');
    const refused = new Socket(gateway.url);
    assert.equal((await refused.closed).code, 1013);
    const metrics = await gateway.app.inject('/metrics');
    assert.match(metrics.body, /twofold_push_handshakes_total\{[^}]*result="shed"[^}]*\} 1/);

    for (const socket of idle) socket.ws.close();
    await Promise.all(idle.map((socket) => socket.closed));
    const phone = await TestPhone.pair(auth, await enrolledUser(auth));
    const proven = await connectAs(gateway.url, phone);
    assert.equal(proven.ws.readyState, proven.ws.OPEN);
    proven.ws.close();
  });
});
