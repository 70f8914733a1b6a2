// A few seconds of the `mixed` scenario (no push logins) at about 3 flows a second against a
// running cluster: no error, both report files written, counts that add up. Cheap enough for `npm test`.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseOptions } from '../lib/options.ts';
import { runLoadTest } from '../lib/run-load-test.ts';

export async function loadtestSmoke(lbUrls: string[], log: (line: string) => void = () => {}): Promise<void> {
  const outDir = await mkdtemp(path.join(tmpdir(), 'twofold-loadtest-'));
  try {
    const lbs = lbUrls.map((url) => url.replace(/\/+$/, '')).join(',');
    const options = parseOptions([
      'mixed',
      '--rate',
      '3',
      '--duration',
      '3',
      '--phones',
      '0',
      '--users',
      // More users than flows: each login spends its user's TOTP step, and users enrolled in one
      // step all wait for the next (8 left too few when most of the 9 flows were logins).
      '16',
      '--sessions',
      '2',
      '--lb',
      lbs,
      '--out',
      outDir,
      '--quiet',
    ]);
    const { report, files } = await runLoadTest(options, log);
    const o = report.overall;
    assert.deepEqual(o.errors, {}, `no flow failed: ${JSON.stringify(report.flows)}`);
    assert.deepEqual(o.dropped, {}, 'no flow dropped');
    assert.equal(o.ok, 9, 'every one of the 3 s x 3/s flows succeeded');
    const started = report.timeline.reduce((sum, second) => sum + second.started, 0);
    assert.equal(started, 9);
    assert.ok(o.latency.p50 > 0 && o.latency.p50 <= o.latency.p99 && o.latency.p99 <= o.latency.max);
    assert.ok(Object.keys(report.flows).includes('session-check'), 'the blend ran session checks');
    assert.equal(report.flows['push-login'], undefined, 'no push logins with --phones 0');
    for (const [name, flow] of Object.entries(report.flows)) {
      assert.equal(flow.latency.count, flow.ok, `${name}: one latency per successful flow`);
    }
    const json = JSON.parse(await readFile(files.json, 'utf8'));
    assert.equal(json.overall.ok, 9);
    const html = await readFile(files.html, 'utf8');
    assert.match(html, /<script type="application\/json" id="report-data">/);
    assert.match(html, /uPlot/);
    assert.doesNotMatch(html, /<script src=|<link /, 'self-contained: nothing loaded from elsewhere');
    assert.ok((await stat(files.html)).size > 40_000, 'uPlot inlined');
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}
