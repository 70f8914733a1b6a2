import assert from 'node:assert/strict';
import { once } from 'node:events';
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
    assert.equal((await inFlight).status, 201, 'the in-flight request completed');
    const [code] = await once(server.child, 'exit');
    assert.equal(code, 0, server.output());
  });
});
