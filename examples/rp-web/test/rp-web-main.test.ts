// The web example's command line: `--add-user` writes an argon2id hash to the users file (mode 600),
// and the server starts from RP_WEB_* alone, on 127.0.0.1, refusing a missing API key by name.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../../deploy/src/ports.ts';
import { UserStore } from '../users.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..', '..');
const MAIN = path.join(repoRoot, 'examples', 'rp-web', 'main.ts');

function start(args: string[], env: NodeJS.ProcessEnv, stdin?: string) {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('RP_WEB_')),
  );
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    cwd: repoRoot,
    env: { ...inherited, RP_WEB_LOG_LEVEL: 'warn', ...env },
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    output += c;
  });
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    output += c;
  });
  child.stdin.end(stdin ?? '');
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  return { child, exited, output: () => output };
}

describe('web example: command line', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'rp-web-'));
  after(() => rm(dir, { recursive: true, force: true }));
  const usersFile = path.join(dir, 'users.json');

  it('--add-user hashes the password from stdin with argon2id into a file only its owner reads', async () => {
    const added = start(['--add-user', 'Alice'], { RP_WEB_USERS_FILE: usersFile }, 'a long local password\n');
    assert.equal(await added.exited, 0, added.output());
    const stored = JSON.parse(await readFile(usersFile, 'utf8'));
    assert.deepEqual(Object.keys(stored), ['alice'], 'usernames are kept in lower case');
    assert.match(stored.alice, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    assert.equal((await stat(usersFile)).mode & 0o777, 0o600);
    const users = await UserStore.load(usersFile);
    assert.equal(await users.check('alice', 'a long local password'), 'alice');
    assert.equal(await users.check('alice', 'another password'), undefined);

    const short = start(['--add-user', 'bob'], { RP_WEB_USERS_FILE: usersFile }, 'short\n');
    assert.equal(await short.exited, 2);
    assert.match(short.output(), /10 to 256 characters/);
  });

  it('serves on 127.0.0.1:RP_WEB_PORT; says so when Twofold does not answer; needs an API key', async (t) => {
    const missingKey = start([], { RP_WEB_USERS_FILE: usersFile });
    assert.equal(await missingKey.exited, 2);
    assert.match(missingKey.output(), /RP_WEB_API_KEY/);

    const port = await freePort();
    const server = start([], {
      RP_WEB_PORT: String(port),
      RP_WEB_USERS_FILE: usersFile,
      RP_WEB_API_KEY: 'tfk_000000000000_notavalidkeynotavalidkeynotavalidkeynotava',
      RP_WEB_TWOFOLD_URL: `http://127.0.0.1:${await freePort()}`, // nobody listens there
      RP_WEB_COOKIE_SECRET: 'a test secret of at least thirty-two characters',
    });
    t.after(async () => {
      server.child.kill('SIGTERM');
      await server.exited;
    });
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i += 1) {
      const ok = await fetch(`${base}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      assert.ok(i < 200 && server.child.exitCode === null, `the server did not start:\n${server.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const post = (url: string, form: Record<string, string>, cookie = '') =>
      fetch(`${base}${url}`, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          origin: base,
          'content-type': 'application/x-www-form-urlencoded',
          ...(cookie && { cookie }),
        },
        body: new URLSearchParams(form),
      });
    const login = await post('/login', { username: 'alice', password: 'a long local password' });
    assert.equal(login.status, 303);
    assert.equal(login.headers.get('location'), '/login/second');
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const push = await post('/login/push', {}, cookie);
    assert.equal(push.status, 303);
    assert.equal(
      push.headers.get('location'),
      '/login/second?m=unavailable',
      'the password need not be typed again',
    );
    const page = await fetch(`${base}/login/second?m=unavailable`, { headers: { cookie } });
    assert.match(await page.text(), /Twofold is not answering/);
  });
});
