import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { accessLogEnd, lbLatency } from '../../capacity-lb-latency.ts';

/** A line as nginx/twofold.conf.template's `twofold` log format writes it. */
const line = (client: string, request: string, status: number, seconds: string) =>
  `${client} - - [03/Dec/2026:14:25:31 +0000] "${request} HTTP/1.1" ${status} 0 "-" ` +
  `rid=fbed3aa2 upstream=127.0.0.1:9092 upstream_status=${status} rt=${seconds} urt=${seconds}\n`;

test("a phase's session checks, as nginx timed them: after the mark, from its block, past the warm-up", async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'lb-latency-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const log = path.join(dir, 'access.log');
  await writeFile(log, line('127.203.0.1', 'GET /auth/verify', 200, '9.999'));
  const mark = await accessLogEnd(log);
  const warmUp = [line('127.203.0.2', 'GET /auth/verify', 200, '5.000')];
  const recorded = Array.from({ length: 100 }, (_, i) =>
    line(`127.203.0.${(i % 4) + 1}`, 'GET /auth/verify', 200, (0.001 * (i + 1)).toFixed(3)),
  );
  const others = [
    line('127.202.0.1', 'GET /auth/verify', 200, '7.000'),
    line('127.203.0.1', 'POST /api/v1/login', 200, '7.000'),
    line('127.203.0.1', 'GET /auth/verify', 401, '7.000'),
  ];
  await appendFile(log, [...warmUp, ...recorded.slice(0, 50), ...others, ...recorded.slice(50)].join(''));

  const latency = await lbLatency(log, mark, '127.203.', warmUp.length);
  assert.deepEqual(latency, { count: 100, p50Ms: 50, p99Ms: 99, maxMs: 100 });
});

test('nothing logged for the phase is no figure, not a zero', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'lb-latency-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const log = path.join(dir, 'access.log');
  await writeFile(log, line('127.203.0.1', 'GET /auth/verify', 200, '0.002'));
  assert.equal(await lbLatency(log, await accessLogEnd(log), '127.203.', 0), undefined);
});
