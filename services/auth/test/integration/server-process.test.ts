import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { startServer, validEnv, waitReady } from '../helpers/auth-process.ts';

describe('the auth replica process', () => {
  it('exits with code 2 and names the variable when the configuration is bad', async () => {
    const env = await validEnv();
    const cases: Array<[NodeJS.ProcessEnv, RegExp]> = [
      [{ ...env, TWOFOLD_ARGON2_TIME_COST: '1' }, /bad configuration: TWOFOLD_ARGON2_TIME_COST: invalid/],
      [{ ...env, TWOFOLD_REDIS_URL: undefined }, /bad configuration: TWOFOLD_REDIS_URL: missing/],
    ];
    for (const [badEnv, message] of cases) {
      const server = startServer(badEnv);
      const [code] = await once(server.child, 'exit');
      assert.equal(code, 2);
      assert.match(server.output(), message);
    }
  });

  it('drains on SIGTERM: readiness fails, the in-flight request finishes, then it exits 0', async (t: TestContext) => {
    const env = await validEnv();
    const server = startServer({ ...env, TWOFOLD_DRAIN_DELAY_MS: '1500' });
    t.after(() => {
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
    });
    const port = env.TWOFOLD_PORT as string;
    await waitReady(port, server);
    // A registration is slow-ish (argon2): it is in flight when the signal arrives.
    const inFlight = fetch(`http://127.0.0.1:${port}/api/v1/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'draining', password: 'a long enough password' }),
    });
    await new Promise((resolve) => setTimeout(resolve, 5));
    server.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const readiness = await fetch(`http://127.0.0.1:${port}/readyz`);
    assert.equal(readiness.status, 503, 'not ready while draining');
    // A safe request is refused unanswered, which nginx retries elsewhere and counts against this
    // replica, so that it leaves it out before the listener closes (src/drain.ts).
    const refused = await fetch(`http://127.0.0.1:${port}/api/v1/session`).then(
      (response) => `answered ${response.status}`,
      () => 'closed unanswered',
    );
    assert.equal(refused, 'closed unanswered');
    const logout = await fetch(`http://127.0.0.1:${port}/api/v1/logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(logout.status, 204, 'a POST is still served while draining');
    assert.equal(logout.headers.get('connection'), 'close');
    assert.equal((await inFlight).status, 201, 'the in-flight request completed');
    const [code] = await once(server.child, 'exit');
    assert.equal(code, 0, server.output());
  });

  it('a request in flight across the drain closes its kept-alive connection: nothing that follows on it gets a 503', async (t: TestContext) => {
    // Seen through nginx: a login begun before SIGTERM answered "keep-alive" after the listener had
    // closed, nginx sent the next session check on that connection, and it was refused with 503.
    const env = await validEnv();
    const server = startServer({ ...env, TWOFOLD_DRAIN_DELAY_MS: '300' });
    t.after(() => {
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
    });
    const port = Number(env.TWOFOLD_PORT);
    await waitReady(String(port), server);
    const credentials = { username: 'slow', password: 'a long enough password' };
    assert.equal((await postJson(port, '/api/v1/register', credentials)).status, 201);
    // Failed passwords make the account's next attempt wait a second or more before it is checked.
    for (let i = 0; i < 6; i += 1) {
      const wrong = await postJson(port, '/api/v1/login', { ...credentials, password: 'not the password' });
      assert.equal(wrong.status, 401);
    }
    const connection = await KeptAliveConnection.open(port);
    t.after(() => connection.destroy());
    const inFlight = connection.send(requestText('POST', '/api/v1/login', credentials));
    await new Promise((resolve) => setTimeout(resolve, 100));
    server.child.kill('SIGTERM');
    const answer = await inFlight;
    assert.match(answer.head, /^HTTP\/1\.1 200 /, answer.head);
    assert.match(
      answer.head,
      /^connection: close$/im,
      'the answer tells the load balancer to let the connection go',
    );
    const next = await connection.send(requestText('GET', '/api/v1/session'));
    assert.equal(next.head, '', `nothing more on the connection, got: ${next.head}`);
    const [code] = await once(server.child, 'exit');
    assert.equal(code, 0, server.output());
  });
});

async function postJson(port: number, path: string, body: unknown): Promise<Response> {
  return fetch(`http://127.0.0.1:${port}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

function requestText(method: string, path: string, body?: unknown): string {
  const payload = body === undefined ? '' : JSON.stringify(body);
  const type = body === undefined ? '' : 'content-type: application/json\r\n';
  return `${method} ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\n${type}content-length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`;
}

/** One HTTP/1.1 connection kept open between requests, as nginx's upstream keepalive pool holds them. */
class KeptAliveConnection {
  private received = '';
  private ended = false;
  private wake: () => void = () => {};

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.received += chunk;
      this.wake();
    });
    const end = () => {
      this.ended = true;
      this.wake();
    };
    socket.on('close', end);
    socket.on('error', end);
  }

  static async open(port: number): Promise<KeptAliveConnection> {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    return new KeptAliveConnection(socket);
  }

  /** Writes a request and resolves with the answer's head, or '' if the connection was closed instead. */
  async send(request: string): Promise<{ head: string }> {
    this.received = '';
    if (!this.ended) this.socket.write(request);
    const deadline = Date.now() + 15_000;
    while (!this.ended && !this.received.includes('\r\n\r\n') && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 100);
      });
    }
    return { head: this.received.split('\r\n\r\n')[0] ?? '' };
  }

  destroy(): void {
    this.socket.destroy();
  }
}
