// The terminal example, run as a user runs it (node --import tsx examples/rp-terminal/main.ts) with its
// answers piped in, against a real Twofold auth app: codes and phone prompts, accepted and rejected.
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  enrolledUser,
  enterLinkCode,
  linkedUser,
  linkedUserWithoutPhone,
  promptOf,
  registerApplication,
  startTwofold,
  type TestApplication,
  totpCode,
  wrongCode,
} from './twofold-under-test.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..', '..');
const MAIN = path.join(repoRoot, 'examples', 'rp-terminal', 'main.ts');

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The example as a child process; its stdout and stderr collected as they come. */
class Terminal {
  readonly child: ChildProcessWithoutNullStreams;
  stdout = '';
  stderr = '';
  readonly finished: Promise<Finished>;

  constructor(args: string[], env: NodeJS.ProcessEnv = {}) {
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(([key]) => !key.startsWith('TWOFOLD_RP_') && key !== 'TWOFOLD_URL'),
    );
    this.child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
      cwd: repoRoot,
      env: { ...inherited, ...env },
    });
    this.child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout += chunk;
    });
    this.child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    this.finished = new Promise((resolve) => {
      this.child.once('close', (code) => resolve({ code, stdout: this.stdout, stderr: this.stderr }));
    });
  }

  /** Types every answer at once, then closes stdin: lines must wait for their question. */
  type(lines: string[]): this {
    this.child.stdin.end(lines.map((line) => `${line}\n`).join(''));
    return this;
  }

  async waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const match = this.stdout.match(pattern);
      if (match) return match;
      if (this.child.exitCode !== null || Date.now() > until) {
        throw new Error(`no ${pattern} in the output:\n${this.stdout}\nstderr:\n${this.stderr}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** The verdict line: ACCEPTED, REJECTED or EXPIRED, alone on its line. */
const verdictOf = (stdout: string) => stdout.match(/^(ACCEPTED|REJECTED|EXPIRED)$/m)?.[1];

describe('terminal example against a real Twofold', async () => {
  const twofold = await startTwofold({ after });
  let dir: string;
  let wiki: TestApplication;
  let appsFile: string;
  const outputs: string[] = [];
  const run = (args: string[] = ['--url', twofold.url, '--apps', appsFile], env?: NodeJS.ProcessEnv) =>
    new Terminal(args, env);
  const finish = async (terminal: Terminal) => {
    const done = await terminal.finished;
    outputs.push(done.stdout, done.stderr);
    return done;
  };

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'rp-terminal-'));
    wiki = await registerApplication(twofold.app);
    const shop = await registerApplication(twofold.app);
    appsFile = path.join(dir, 'apps.json');
    // Listed sorted: 1) shop, 2) wiki.
    await writeFile(appsFile, JSON.stringify({ wiki: wiki.key, shop: shop.key }), { mode: 0o600 });
  });
  after(async () => {
    // Whatever happened, no run printed an API key.
    for (const output of outputs) assert.ok(!output.includes('tfk_'), `an API key was printed:\n${output}`);
    await rm(dir, { recursive: true, force: true });
  });

  it('a code from the authenticator app: ACCEPTED (exit 0)', async () => {
    const { user } = await linkedUserWithoutPhone(twofold.app, wiki, 'alice');
    const terminal = run().type(['2', 'alice', '2', await totpCode(user.secret)]);
    const done = await finish(terminal);
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout, /1\) shop\n {2}2\) wiki/);
    assert.match(done.stdout, /1\) confirm on phone\n {2}2\) enter a code/);
    assert.equal(verdictOf(done.stdout), 'ACCEPTED');
  });

  it('a wrong code: REJECTED (exit 1)', async () => {
    const { user } = await linkedUserWithoutPhone(twofold.app, wiki, 'bob');
    const terminal = run().type(['2', 'bob', '2', await wrongCode(user.secret, totpCode)]);
    const done = await finish(terminal);
    assert.equal(done.code, 1, done.stderr);
    assert.equal(verdictOf(done.stdout), 'REJECTED');
  });

  it('confirm on phone, approved with the number shown: ACCEPTED', async () => {
    const { phone } = await linkedUser(twofold.app, wiki, 'carol');
    const terminal = run().type(['2', 'carol', '1']);
    const number = Number((await terminal.waitFor(/Tap (\d+) on your phone/))[1]);
    const prompt = await promptOf(phone, wiki);
    assert.ok(prompt.choices.includes(number), 'the number shown is among the phone’s choices');
    // Answered while the terminal is in its long poll.
    await terminal.waitFor(/Waiting for the answer/);
    assert.equal((await phone.answer(prompt.challengeId, 'approve', number)).statusCode, 200);
    const done = await finish(terminal);
    assert.equal(done.code, 0, done.stderr);
    assert.equal(verdictOf(done.stdout), 'ACCEPTED');
  });

  it('confirm on phone, denied: REJECTED (exit 1)', async () => {
    const { phone } = await linkedUser(twofold.app, wiki, 'dave');
    const terminal = run().type(['2', 'dave', '1']);
    await terminal.waitFor(/Tap (\d+) on your phone/);
    const prompt = await promptOf(phone, wiki);
    assert.equal((await phone.answer(prompt.challengeId, 'deny', 0)).statusCode, 200);
    const done = await finish(terminal);
    assert.equal(done.code, 1, done.stderr);
    assert.equal(verdictOf(done.stdout), 'REJECTED');
  });

  it('the code Twofold pushes to the phone works too; one application from the environment', async () => {
    const { phone } = await linkedUser(twofold.app, wiki, 'erin');
    const terminal = run(['--url', twofold.url], { TWOFOLD_RP_APP: 'wiki', TWOFOLD_RP_API_KEY: wiki.key });
    terminal.child.stdin.write('erin\n2\n');
    await terminal.waitFor(/Code from your authenticator app/);
    const pushed = (await phone.inbox()).find((m) => m.type === 'code' && m.application === wiki.name);
    assert.ok(pushed, 'a code was pushed to the phone');
    terminal.type([String(pushed.code)]);
    const done = await finish(terminal);
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout, /^Application: wiki$/m, 'one application: no list to choose from');
    assert.equal(verdictOf(done.stdout), 'ACCEPTED');
  });

  it('link: prints a code the user enters on the account page; then the username can be confirmed', async () => {
    const user = await enrolledUser(twofold.app);
    const done = await finish(run().type(['2', 'frank', '3']));
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout, /3\) link their Twofold account first/);
    const code = done.stdout.match(/^Link code for frank at wiki: ([A-Z2-9]{5}-[A-Z2-9]{5})$/m)?.[1];
    assert.ok(code, `a link code is printed:\n${done.stdout}`);
    assert.match(done.stdout, new RegExp(`${twofold.url}/account`), "the way to Twofold's account page");
    assert.equal(verdictOf(done.stdout), undefined);

    const linked = await enterLinkCode(user, code);
    assert.equal(linked.status, 201, JSON.stringify(linked.body));
    assert.equal(linked.body.application.username, 'frank');
    assert.equal((await enterLinkCode(user, code)).status, 400, 'a code works once');
    const confirmed = await finish(run().type(['2', 'frank', '2', await totpCode(user.secret)]));
    assert.equal(confirmed.code, 0, confirmed.stderr);
    assert.equal(verdictOf(confirmed.stdout), 'ACCEPTED');
  });

  it("a username nobody linked: Twofold's reason on stderr, exit 3", async () => {
    const done = await finish(run().type(['2', 'nobody-linked-this', '1']));
    assert.equal(done.code, 3);
    assert.match(done.stderr, /\(user_not_linked\)/);
    assert.equal(verdictOf(done.stdout), undefined);
  });

  it('a wrong key, a broken apps file, or input that runs out: errors that never quote a key', async () => {
    const badKey = path.join(dir, 'bad-key.json');
    await writeFile(
      badKey,
      JSON.stringify({ wiki: 'tfk_000000000000_notavalidkeynotavalidkeynotavalidkeynotava' }),
      {
        mode: 0o600,
      },
    );
    const refused = await finish(run(['--url', twofold.url, '--apps', badKey]).type(['someone', '1']));
    assert.equal(refused.code, 3);
    assert.match(refused.stderr, /\(invalid_api_key\)/);

    const broken = path.join(dir, 'broken.json');
    await writeFile(broken, `{"wiki": "${wiki.key}",`, { mode: 0o600 });
    const unreadable = await finish(run(['--url', twofold.url, '--apps', broken]).type([]));
    assert.equal(unreadable.code, 2);
    assert.match(unreadable.stderr, /not valid JSON/);

    const cut = await finish(run().type(['2', 'alice']));
    assert.equal(cut.code, 2);
    assert.match(cut.stderr, /No more input/);
  });
});
