import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { after, describe, it, type TestContext } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildTestApp } from '../../../auth/test/helpers/build-app.ts';
import { enrolledUser, expectStatus } from '../../../auth/test/helpers/client.ts';
import { TcpProxy } from '../../../auth/test/helpers/tcp-proxy.ts';
import { TestPhone } from '../../../auth/test/helpers/test-phone.ts';
import { connectAs, startGateway } from '../helpers/gateway-client.ts';

const SERVER = join(import.meta.dirname, '..', '..', 'src', 'server.ts');

/** The value of one unlabelled-by-us metric line, e.g. twofold_push_connections{service=…} 1. */
function metric(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/([a-z_]+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => present[k] === v)) return Number(match[3]);
  }
  return undefined;
}

async function metrics(gateway: { app: FastifyInstance }): Promise<string> {
  const response = expectStatus(await gateway.app.inject({ method: 'GET', url: '/metrics' }), 200);
  assert.match(String(response.headers['content-type']), /^text\/plain/);
  return response.body;
}

async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 50; i += 1) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`never: ${what}`);
}

describe('the push gateway: health, readiness, metrics, last seen', async () => {
  const auth = await buildTestApp({ after });

  it('/healthz answers 200 with the replica name', async (t: TestContext) => {
    const gateway = await startGateway(auth, 'push-health');
    t.after(() => gateway.close());
    const health = expectStatus(await gateway.app.inject({ method: 'GET', url: '/healthz' }), 200);
    assert.deepEqual(health.json(), { status: 'ok', replica: 'push-health' });
  });

  it('/readyz answers 200 when ready and 503 not_ready while draining', async (t: TestContext) => {
    const gateway = await startGateway(auth, 'push-ready');
    t.after(() => gateway.close());
    const ready = expectStatus(await gateway.app.inject({ method: 'GET', url: '/readyz' }), 200).json();
    assert.deepEqual(ready.checks, { postgres: 'up', redis: 'up', draining: false, connections: 0 });
    gateway.drain();
    const draining = expectStatus(await gateway.app.inject({ method: 'GET', url: '/readyz' }), 503).json();
    assert.equal(draining.error.code, 'not_ready');
    assert.equal(draining.checks.draining, true);
  });

  for (const dependency of ['postgres', 'redis'] as const) {
    it(`/readyz answers 503 while ${dependency} is down, and 200 once it is back`, async (t: TestContext) => {
      const real =
        dependency === 'postgres'
          ? auth.config.databaseUrl
          : 'url' in auth.config.redis
            ? auth.config.redis.url
            : '';
      const url = new URL(real);
      const proxy = await TcpProxy.start({ host: url.hostname, port: Number(url.port) });
      t.after(() => proxy.stop());
      const gateway = await startGateway(auth, `push-${dependency}`, {
        [dependency === 'postgres' ? 'TWOFOLD_DATABASE_URL' : 'TWOFOLD_REDIS_URL']: proxy.rewrite(real),
      });
      t.after(() => gateway.close());
      expectStatus(await gateway.app.inject({ method: 'GET', url: '/readyz' }), 200);
      await proxy.stop();
      const down = expectStatus(await gateway.app.inject({ method: 'GET', url: '/readyz' }), 503).json();
      assert.equal(down.error.code, 'not_ready');
      const other = dependency === 'postgres' ? 'redis' : 'postgres';
      assert.deepEqual([down.checks[dependency], down.checks[other]], ['down', 'up']);
      await proxy.resume();
      await eventually(
        async () => (await gateway.app.inject({ method: 'GET', url: '/readyz' })).statusCode === 200,
        `ready again after ${dependency} came back`,
      );
    });
  }

  it('/metrics counts a real connection, its handshake and its messages', async (t: TestContext) => {
    const gateway = await startGateway(auth, 'push-metrics');
    t.after(() => gateway.close());
    const user = await enrolledUser(auth);
    const phone = await TestPhone.pair(auth, user);
    const before = await metrics(gateway);
    assert.equal(metric(before, 'twofold_push_connections', { replica: 'push-metrics' }), 0);
    assert.equal(metric(before, 'twofold_push_handshakes_total', { result: 'success' }), undefined);

    const socket = await connectAs(gateway.url, phone);
    const account = await socket.next('message');
    socket.send({ type: 'ack', id: account.id });
    await eventually(
      async () => metric(await metrics(gateway), 'twofold_push_messages_total', { event: 'acked' }) === 1,
      'the acknowledgement is counted',
    );
    const during = await metrics(gateway);
    assert.equal(metric(during, 'twofold_push_connections'), 1);
    assert.equal(metric(during, 'twofold_push_handshakes_total', { result: 'success' }), 1);
    assert.equal(metric(during, 'twofold_push_messages_total', { event: 'sent' }), 1);

    socket.ws.close();
    await socket.closed;
    await eventually(
      async () => metric(await metrics(gateway), 'twofold_push_connections') === 0,
      'the connection count goes back to 0',
    );
  });

  it("a connected phone's lastSeenAt shows in GET /api/v1/devices", async (t: TestContext) => {
    const gateway = await startGateway(auth, 'push-seen');
    t.after(() => gateway.close());
    const user = await enrolledUser(auth);
    const phone = await TestPhone.pair(auth, user);
    const lastSeen = async () => {
      const { devices } = expectStatus(await user.client.get('/api/v1/devices'), 200).json();
      assert.equal(devices.length, 1);
      return devices[0].lastSeenAt as string | null;
    };
    assert.equal(await lastSeen(), null, 'never seen before it connects');
    const connectedAt = Date.now();
    const socket = await connectAs(gateway.url, phone);
    await eventually(async () => (await lastSeen()) !== null, 'lastSeenAt is set');
    const seen = Date.parse(String(await lastSeen()));
    assert.ok(Math.abs(seen - connectedAt) < 60_000, `lastSeenAt ${seen} is about when it connected`);
    socket.ws.close();
  });
});

describe('the push replica process', () => {
  it('exits with code 2 and names the variable when the configuration is bad', async () => {
    const base = {
      PATH: process.env.PATH,
      TWOFOLD_DATABASE_URL: 'postgres://twofold@127.0.0.1:1/twofold',
      TWOFOLD_REDIS_URL: 'redis://127.0.0.1:1',
      TWOFOLD_LOG_LEVEL: 'warn',
    };
    const cases: Array<[NodeJS.ProcessEnv, RegExp]> = [
      [
        { ...base, TWOFOLD_PUSH_PING_SECONDS: '0' },
        /twofold push: bad configuration: TWOFOLD_PUSH_PING_SECONDS: invalid/,
      ],
      [
        { ...base, TWOFOLD_PUSH_AUTH_TIMEOUT_MS: 'soon' },
        /bad configuration: TWOFOLD_PUSH_AUTH_TIMEOUT_MS: invalid/,
      ],
      [{ ...base, TWOFOLD_DATABASE_URL: undefined }, /bad configuration: TWOFOLD_DATABASE_URL: missing/],
      [{ ...base, TWOFOLD_REDIS_URL: undefined }, /bad configuration: TWOFOLD_REDIS_URL: missing/],
    ];
    for (const [env, message] of cases) {
      const child = spawn(process.execPath, ['--import', 'tsx', SERVER], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
      const [code] = await once(child, 'exit');
      assert.equal(code, 2, output);
      assert.match(output, message);
    }
  });
});
