import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import bcrypt from 'bcryptjs';
import { binaries, requireBinary, testBinaries } from '../../src/binaries.ts';
import { planMembers } from '../../src/members.ts';
import { ALERT_RULES_FILE } from '../../src/monitoring.ts';
import {
  renderAlertmanagerConfig,
  renderPrometheusConfig,
  renderWebConfig,
  scrapeTargets,
  UNSCRAPED,
} from '../../src/monitoring-config.ts';
import { derivePorts } from '../../src/ports.ts';

const ports = derivePorts(8080, 3);
const plan = planMembers(ports);
const context = {
  ports,
  passwordFiles: { haproxy: '/p/haproxy', prometheus: '/p/prometheus', alertmanager: '/p/alertmanager' },
};

describe('the scrape config, generated from the member list', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'twofold-monitoring-config-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('every member is scraped, itself or through its exporter, unless it is listed as having no metrics', () => {
    const targets = scrapeTargets(plan, context);
    for (const member of plan) {
      const seen = targets.some((target) => target.member === member.name || target.exporter === member.name);
      assert.equal(seen || member.kind in UNSCRAPED, true, `${member.name} has no scrape target`);
    }
    assert.deepEqual(
      plan.filter((member) => member.kind in UNSCRAPED).map((member) => member.name),
      ['mail', 'demo'],
    );
  });

  test('Redis and the Sentinels go through the one exporter; lb-a and lb-b through their own', () => {
    const targets = scrapeTargets(plan, context);
    const redis = targets.filter((target) => target.job === 'redis');
    assert.deepEqual(
      redis.map((target) => [target.member, target.target]),
      [
        ['redis-1', 'redis://127.0.0.1:8110'],
        ['redis-2', 'redis://127.0.0.1:8111'],
        ['sentinel-1', 'redis://127.0.0.1:8112'],
        ['sentinel-2', 'redis://127.0.0.1:8113'],
        ['sentinel-3', 'redis://127.0.0.1:8114'],
      ],
    );
    assert.ok(redis.every((target) => target.address === '127.0.0.1:8133'));
    const nginx = targets.filter((target) => target.job === 'nginx');
    assert.deepEqual(
      nginx.map((target) => [target.member, target.exporter, target.address]),
      [
        ['lb-a', 'nginx-exporter-a', '127.0.0.1:8135'],
        ['lb-b', 'nginx-exporter-b', '127.0.0.1:8136'],
      ],
    );
  });

  test('promtool accepts the rendered config with the real rules file', async () => {
    const file = path.join(dir, 'prometheus.yml');
    await writeFile(file, renderPrometheusConfig({ ...context, plan, rulesFile: ALERT_RULES_FILE }));
    const { stdout } = await promisify(execFile)(
      requireBinary(testBinaries.promtool),
      ['check', 'config', '--syntax-only', file],
      { timeout: 30_000 },
    );
    assert.match(stdout, /SUCCESS/);
  });

  test('what asks for a password is scraped with one: HAProxy, Prometheus itself, Alertmanager', () => {
    const withAuth = scrapeTargets(plan, context)
      .filter((target) => target.basicAuth)
      .map((target) => [target.job, target.basicAuth?.username, target.basicAuth?.passwordFile]);
    assert.deepEqual(withAuth, [
      ['haproxy', 'operator', '/p/haproxy'],
      ['alertmanager', 'operator', '/p/alertmanager'],
      ['prometheus', 'operator', '/p/prometheus'],
    ]);
    const config = renderPrometheusConfig({ ...context, plan, rulesFile: ALERT_RULES_FILE });
    assert.match(
      config,
      /alertmanagers:\n {4}- basic_auth:\n {8}username: "operator"\n {8}password_file: "\/p\/alertmanager"/,
    );
  });

  test('promtool accepts the web config (operator with a bcrypt hash); anything else is refused', async () => {
    const file = path.join(dir, 'web.yml');
    await writeFile(file, renderWebConfig(bcrypt.hashSync('a password', 4)));
    const { stdout, stderr } = await promisify(execFile)(
      requireBinary(testBinaries.promtool),
      ['check', 'web-config', file],
      { timeout: 30_000 },
    );
    assert.match(`${stdout}${stderr}`, /SUCCESS/);
    assert.throws(() => renderWebConfig('plain text'), /bcrypt/);
  });

  test('amtool accepts the Alertmanager config, and bad addresses are refused', async () => {
    const file = path.join(dir, 'alertmanager.yml');
    const config = renderAlertmanagerConfig({ smtpPort: 8125, to: 'ops@example.org', from: 'a@b.org' });
    await writeFile(file, config);
    const amtool = path.join(path.dirname(requireBinary(binaries.alertmanager)), 'amtool');
    const { stdout } = await promisify(execFile)(amtool, ['check-config', file], { timeout: 30_000 });
    assert.match(stdout, /SUCCESS/);
    assert.match(config, /smarthost: "127\.0\.0\.1:8125"/);
    assert.throws(() => renderAlertmanagerConfig({ smtpPort: 1, to: 'x\n  evil: 1', from: 'a@b.org' }));
  });
});
