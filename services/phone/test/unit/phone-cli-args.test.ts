import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runPhoneCommand } from '../../src/cli.ts';
import { PhoneUsageError, parsePhoneArgs } from '../../src/cli-args.ts';
import {
  automaticChoice,
  describeCode,
  describeOutcome,
  describePrompt,
  parseTypedChoice,
} from '../../src/prompt-text.ts';

const LINK = 'http://127.0.0.1:8080/phone/#pair=q2x0sYtQ1kq0B5yJ1k3Xw0nL9cV7bN4mZ8aS6dF2gH1';

test('each command parses with its options', () => {
  assert.deepEqual(parsePhoneArgs(['pair', LINK, '--state', 'p.json', '--name', 'ci']), {
    command: 'pair',
    link: LINK,
    statePath: 'p.json',
    name: 'ci',
    force: false,
    waitMs: 15_000,
    timeoutMs: 10_000,
  });
  assert.deepEqual(parsePhoneArgs(['code', '--state', 'p.json']), { command: 'code', statePath: 'p.json' });
  assert.deepEqual(parsePhoneArgs(['listen', '--state', 'p.json', '--approve', '--number', '47', '--once']), {
    command: 'listen',
    statePath: 'p.json',
    mode: { kind: 'approve', number: 47 },
    once: true,
    timeoutMs: 10_000,
  });
  assert.deepEqual(parsePhoneArgs(['listen', '--state', 'p', '--deny']).command, 'listen');
  assert.deepEqual(parsePhoneArgs(['listen', '--ask', '--state', 'p', '--timeout', '500']), {
    command: 'listen',
    statePath: 'p',
    mode: { kind: 'ask' },
    once: false,
    timeoutMs: 500,
  });
  assert.deepEqual(parsePhoneArgs([]), { command: 'help' });
  assert.deepEqual(parsePhoneArgs(['code', '--help']), { command: 'help' });
});

test('bad command lines are refused with the reason', () => {
  const refused: [string[], RegExp][] = [
    [['code'], /--state FILE is required/],
    [['listen', '--state', 'p', '--approve'], /the number the browser shows.*cannot know/],
    [['listen', '--state', 'p'], /exactly one of/],
    [['listen', '--state', 'p', '--deny', '--ask'], /exactly one of/],
    [['listen', '--state', 'p', '--deny', '--number', '4'], /--number goes with --approve/],
    [['listen', '--state', 'p', '--approve', '--number', '47'], /--approve needs --once/],
    [['listen', '--state', 'p', '--approve', '--number', 'x', '--once'], /whole number/],
    [['pair', '--state', 'p'], /exactly one link/],
    [['code', '--state', 'p', '--once'], /--once does not apply/],
    [['code', '--state', 'p', 'extra'], /takes no arguments/],
    [['scan', '--state', 'p'], /unknown phone command/],
    [['code', '--stat', 'p'], /Unknown option/],
  ];
  for (const [args, reason] of refused) {
    assert.throws(
      () => parsePhoneArgs(args),
      (error: Error) => {
        assert.ok(error instanceof PhoneUsageError, args.join(' '));
        assert.match(error.message, reason, args.join(' '));
        return true;
      },
    );
  }
});

test('runPhoneCommand exits 2 on a usage error, 1 on a missing state file', async (t) => {
  const errors: string[] = [];
  t.mock.method(console, 'error', (line: string) => errors.push(line));
  assert.equal(await runPhoneCommand(['listen', '--state', 'p', '--approve']), 2);
  assert.match(errors.join('\n'), /Usage: twofold phone/);
  assert.equal(await runPhoneCommand(['code', '--state', '/nonexistent/phone.json']), 1);
  assert.match(errors.at(-1) ?? '', /no phone state at/);
});

const prompt = {
  challengeId: 'c1',
  username: 'alice',
  ip: '203.0.113.5',
  userAgent: 'Firefox',
  createdAt: 1_700_000_000_000,
  expiresAt: 1_700_000_060_000,
  choices: [12, 47, 83],
};

test('--approve answers only the prompts offering its number; --deny denies all', () => {
  assert.deepEqual(automaticChoice({ kind: 'approve', number: 47 }, prompt), {
    decision: 'approve',
    number: 47,
  });
  assert.equal(automaticChoice({ kind: 'approve', number: 48 }, prompt), undefined);
  assert.deepEqual(automaticChoice({ kind: 'deny' }, prompt), { decision: 'deny', number: 0 });
});

test('--ask takes one of the numbers or d/deny, anything else asks again', () => {
  assert.deepEqual(parseTypedChoice(' 83 ', prompt), { decision: 'approve', number: 83 });
  assert.deepEqual(parseTypedChoice('D', prompt), { decision: 'deny', number: 0 });
  assert.deepEqual(parseTypedChoice('deny', prompt), { decision: 'deny', number: 0 });
  for (const line of ['', '13', 'yes', '47x']) assert.equal(parseTypedChoice(line, prompt), undefined, line);
  const text = describePrompt(prompt, prompt.createdAt + 15_000);
  for (const part of ['alice', '203.0.113.5', 'Firefox', 'expires in 45 s', '12  47  83']) {
    assert.ok(text.includes(part), part);
  }
});

test("an application's prompt names the application, not a browser", () => {
  const asked = { ...prompt, ip: '', userAgent: '', application: 'wiki' };
  const text = describePrompt(asked, asked.createdAt + 15_000);
  assert.ok(text.startsWith('wiki asks you to confirm (alice)'), text);
  assert.ok(!text.includes('unknown browser'), text);
  assert.ok(text.includes('12  47  83'));
  const choice = { decision: 'approve' as const, number: 47 };
  assert.equal(describeOutcome(asked, choice, 'approved'), 'approved the request of wiki for alice with 47');
  assert.equal(describeOutcome(prompt, choice, 'approved'), 'approved the login of alice with 47');
  assert.equal(
    describeCode({ username: 'alice', code: '123456', expiresAt: 1, application: 'wiki' }),
    'code for alice from wiki: 123456',
  );
  assert.equal(describeCode({ username: 'alice', code: '123456', expiresAt: 1 }), 'code for alice: 123456');
});
