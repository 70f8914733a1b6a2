// The demo member as the supervisor starts it (deploy/src/demo-app.ts running examples/whoami as a
// process): ready on /healthz, escapes what it echoes, stops on SIGTERM; a bad setting exits 2.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DEMO_APP_ENTRY, type DemoApp, demoAppEnv, startDemoApp } from '../src/demo-app.ts';
import { repoRoot } from '../src/paths.ts';
import { freePort } from '../src/ports.ts';
import { isAlive } from '../src/proc.ts';

/** GET with a Host header of our choosing (fetch sends its own). */
function get(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, timeout: 10_000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    req.once('timeout', () => req.destroy(new Error(`no answer from ${url}`)));
    req.once('error', reject);
    req.end();
  });
}

describe('the demo member (examples/whoami as a process)', () => {
  let dataDir: string;
  let demo: DemoApp;
  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'twofold-demo-'));
    demo = await startDemoApp({ dataDir, port: await freePort(), cookieDomain: 'twofold.localhost' });
  });
  after(async () => {
    await demo?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('shows the forward-auth headers it got, escaped, with a way to the login page', async () => {
    const page = await get(demo.url, {
      host: 'app1.twofold.localhost:8080',
      'remote-user': '<script>alert(1)</script>',
      'remote-name': '"><img src=x onerror=alert(2)>',
    });
    assert.equal(page.status, 200);
    assert.match(page.body, /<h1>Twofold demo application \(who am I\)<\/h1>/);
    assert.ok(page.body.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
    assert.ok(page.body.includes('&quot;&gt;&lt;img src=x onerror=alert(2)&gt;'));
    assert.doesNotMatch(page.body, /<script>|<img/);
    assert.ok(page.body.includes('href="//twofold.localhost:8080/"'));
  });

  test('stops on SIGTERM', async () => {
    const { pid } = demo.handle;
    await demo.stop();
    assert.equal(isAlive(pid), false);
  });

  test('its own settings only, none inherited; TWOFOLD_LOGIN_URL gives the logout site', () => {
    const saved = process.env.WHOAMI_LOGIN_URL;
    process.env.WHOAMI_LOGIN_URL = 'https://elsewhere.example/';
    try {
      const env = demoAppEnv({ dataDir: '/x', port: 1, cookieDomain: 'example.com' });
      assert.equal(env.WHOAMI_LOGIN_URL, undefined);
      assert.equal(env.WHOAMI_LOGIN_HOST, 'example.com');
      assert.deepEqual(
        Object.keys(env)
          .filter((key) => !['PATH', 'HOME', 'LANG', 'TZ', 'TMPDIR'].includes(key))
          .sort(),
        ['WHOAMI_APP_NAME', 'WHOAMI_LOGIN_HOST', 'WHOAMI_PORT'],
        "nothing of the supervisor's environment but what a Node program needs",
      );
      const withLogin = demoAppEnv({
        dataDir: '/x',
        port: 1,
        cookieDomain: 'example.com',
        loginUrl: 'https://login.example.com/login',
      });
      assert.equal(withLogin.WHOAMI_LOGIN_URL, 'https://login.example.com/');
      assert.throws(
        () => demoAppEnv({ dataDir: '/x', port: 1, cookieDomain: 'a', loginUrl: 'nope' }),
        /TWOFOLD_LOGIN_URL/,
      );
    } finally {
      if (saved === undefined) delete process.env.WHOAMI_LOGIN_URL;
      else process.env.WHOAMI_LOGIN_URL = saved;
    }
  });

  test('a bad setting exits 2, naming the variable', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', DEMO_APP_ENTRY], {
      cwd: repoRoot,
      env: { ...process.env, WHOAMI_PORT: 'eighty' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /WHOAMI_PORT must be a port number/);
  });
});
