// monitoring/alerts.yml: promtool checks the rules and runs their unit tests (alerts*.test.yml);
// every rule has a severity, a summary, a description and a runbook anchor that docs/alerts.md has.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { repoRoot } from '../../../deploy/src/paths.ts';
import { membersQuery, panels } from '../../panels.ts';

const monitoringDir = path.join(repoRoot, 'monitoring');
const rulesFile = path.join(monitoringDir, 'alerts.yml');
const PROMTOOL_TIMEOUT_MS = 60_000;

interface Run {
  code: number | null;
  output: string;
}

/** Runs promtool in monitoring/; fails (never skips) when it is not installed. */
function promtool(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', args, { cwd: monitoringDir, timeout: PROMTOOL_TIMEOUT_MS });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') {
        reject(
          new Error(
            'promtool is not installed: install the Debian package `prometheus` (apt-get install prometheus)',
          ),
        );
      } else reject(error);
    });
    child.on('close', (code, signal) =>
      resolve({ code, output: signal ? `${output}\n(promtool killed by ${signal})` : output }),
    );
  });
}

const testFiles = async () =>
  (await readdir(monitoringDir)).filter((name) => /^alerts.*\.test\.yml$/.test(name)).sort();

/** Each `- alert:` block of the rules file, by name (the file is written one rule per block). */
async function ruleBlocks(): Promise<Map<string, string>> {
  const text = await readFile(rulesFile, 'utf8');
  const blocks = new Map<string, string>();
  for (const block of text.split(/^\s+- alert: /m).slice(1)) {
    const name = block.slice(0, block.indexOf('\n')).trim();
    assert.ok(!blocks.has(name), `alert ${name} is defined twice`);
    blocks.set(name, block);
  }
  return blocks;
}

describe('alert rules', () => {
  test('promtool check rules accepts monitoring/alerts.yml', async () => {
    const { code, output } = await promtool('check', 'rules', rulesFile);
    assert.equal(code, 0, `promtool check rules failed:\n${output}`);
  });

  test('promtool test rules passes every alerts*.test.yml', async () => {
    const files = await testFiles();
    assert.ok(files.length > 0, 'no monitoring/alerts*.test.yml');
    const { code, output } = await promtool('test', 'rules', ...files);
    assert.equal(code, 0, `promtool test rules failed:\n${output}`);
  });

  test('every rule has a severity, a summary, a description and a runbook in docs/alerts.md', async () => {
    const docs = await readFile(path.join(repoRoot, 'docs/alerts.md'), 'utf8');
    const headings = new Set([...docs.matchAll(/^##+ (\S+)/gm)].map((match) => match[1]?.toLowerCase()));
    const blocks = await ruleBlocks();
    assert.ok(blocks.size >= 13, `only ${blocks.size} rules`);
    for (const [name, block] of blocks) {
      assert.match(block, /^\s+severity: (critical|warning|info)$/m, `${name}: severity`);
      assert.match(block, /^\s+summary: \S/m, `${name}: summary`);
      assert.match(block, /^\s+description: \S/m, `${name}: description`);
      const anchor = block.match(/^\s+runbook: docs\/alerts\.md#(\S+)$/m)?.[1];
      assert.equal(
        anchor,
        name.toLowerCase(),
        `${name}: runbook must be docs/alerts.md#${name.toLowerCase()}`,
      );
      assert.ok(headings.has(anchor), `${name}: docs/alerts.md has no "## ${name}" heading`);
    }
  });

  test('every rule is tested both firing and silent', async () => {
    let tests = '';
    for (const file of await testFiles()) tests += await readFile(path.join(monitoringDir, file), 'utf8');
    for (const name of (await ruleBlocks()).keys()) {
      const evals = [...tests.matchAll(new RegExp(`alertname: ${name}\\n\\s+exp_alerts:(.*)`, 'g'))];
      assert.ok(
        evals.some((match) => match[1]?.trim() === '[]'),
        `${name}: no test expects it silent`,
      );
      assert.ok(
        evals.some((match) => match[1]?.trim() === ''),
        `${name}: no test expects it to fire`,
      );
    }
  });

  test("the dashboard panels' and member table's queries are valid PromQL", async () => {
    const exprs = [
      ...panels.flatMap((panel) => panel.queries.map((query) => query.expr)),
      ...Object.values(membersQuery),
    ];
    const rules = exprs.map(
      (expr, i) => `      - record: twofold:panel_query_${i}\n        expr: ${JSON.stringify(expr)}`,
    );
    const dir = await mkdtemp(path.join(tmpdir(), 'twofold-panels-'));
    try {
      const file = path.join(dir, 'panels.yml');
      await writeFile(file, `groups:\n  - name: panels\n    rules:\n${rules.join('\n')}\n`);
      const { code, output } = await promtool('check', 'rules', file);
      assert.equal(code, 0, `a panel query does not parse:\n${output}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
