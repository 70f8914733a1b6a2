import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createTestDatabase, freePort, getTestServices } from '../../../../test/support/services.ts';
import { generateKeySpec } from '../../../common/src/secret-box.ts';

const SERVER = join(import.meta.dirname, '..', '..', 'src', 'server.ts');

async function validEnv(): Promise<NodeJS.ProcessEnv> {
  const { redisUrl } = await getTestServices();
  return {
    PATH: process.env.PATH,
    TWOFOLD_DATABASE_URL: await createTestDatabase(),
    TWOFOLD_REDIS_URL: redisUrl,
    TWOFOLD_SESSION_SECRET: 's'.repeat(40),
    TWOFOLD_ENCRYPTION_KEYS: generateKeySpec('1'),
    TWOFOLD_PORT: String(await freePort()),
    TWOFOLD_LOG_LEVEL: 'warn',
  };
}

function startServer(env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  return { child, output: () => output };
}

async function waitReady(port: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(1_000) })).ok) return;
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('server did not become ready');
}

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

  it('drains on SIGTERM: readiness fails, the in-flight request finishes, then it exits 0', async () => {
    const env = await validEnv();
    const server = startServer({ ...env, TWOFOLD_DRAIN_DELAY_MS: '1500' });
    const port = env.TWOFOLD_PORT as string;
    await waitReady(port);
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
