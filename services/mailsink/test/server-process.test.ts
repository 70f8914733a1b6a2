import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { describe, it } from 'node:test';
import { freePort } from '../../../deploy/src/ports.ts';
import { waitForHttp } from '../../../deploy/src/wait.ts';

const entry = path.join(import.meta.dirname, '..', 'src', 'server.ts');

function run(env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  return { child, exited, output: () => output };
}

describe('the mail sink process', () => {
  it('serves on the ports from the environment and stops cleanly on SIGTERM', async () => {
    const smtpPort = await freePort();
    let httpPort = await freePort();
    // The kernel may hand the same free port out twice in a row; the sink needs two.
    while (httpPort === smtpPort) httpPort = await freePort();
    const sink = run({ TWOFOLD_SMTP_PORT: String(smtpPort), TWOFOLD_MAILSINK_HTTP_PORT: String(httpPort) });
    try {
      await waitForHttp(`http://127.0.0.1:${httpPort}/healthz`, {
        description: 'the mail sink page',
        timeoutMs: 20_000,
        // A sink that dies at start fails the test at once, with what it printed.
        abort: sink.exited.then(() => {
          throw new Error(`the mail sink exited before serving: ${sink.output()}`);
        }),
      });
      assert.match(sink.output(), new RegExp(`SMTP on 127\\.0\\.0\\.1:${smtpPort}`));
    } finally {
      sink.child.kill('SIGTERM');
    }
    const [code] = await sink.exited;
    assert.equal(code, 0, sink.output());
  });

  it('exits with code 2 and names the variable when a port is missing', async () => {
    const sink = run({ TWOFOLD_SMTP_PORT: '', TWOFOLD_MAILSINK_HTTP_PORT: '8126' });
    const [code] = await sink.exited;
    assert.equal(code, 2);
    assert.match(sink.output(), /TWOFOLD_SMTP_PORT/);
  });
});
