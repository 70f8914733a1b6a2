// An auth replica as a real process (services/auth/src/server.ts), for what only a process shows:
// exit codes, start-up refusals, signals.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createTestDatabase, freePort, getTestServices } from '../../../../test/support/services.ts';
import { generateKeySpec } from '../../../common/src/secret-box.ts';

const SERVER = join(import.meta.dirname, '..', '..', 'src', 'server.ts');

/** A configuration the replica starts with: its own database, the test Redis, a free port. */
export async function validEnv(): Promise<NodeJS.ProcessEnv> {
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

export function startServer(env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  return { child, output: () => output };
}

/** Resolves once /readyz answers 200; throws (with the process's output) if it exits or takes too long. */
export async function waitReady(port: string, server?: { child: ChildProcess; output: () => string }) {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (server && server.child.exitCode !== null)
      throw new Error(`server exited with ${server.child.exitCode}: ${server.output()}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(1_000) })).ok) return;
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`server did not become ready: ${server?.output() ?? ''}`);
}
