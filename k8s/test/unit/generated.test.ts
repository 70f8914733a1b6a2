// The files k8s/render-generated.ts makes are committed as it makes them, the PrometheusRule holds
// the very groups of monitoring/alerts.yml, and the Grafana ConfigMap the very dashboard.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { alertsFile, baseDir, dashboardFile, generatedFiles } from '../../render-generated.ts';
import { find, renderBase, renderLocal } from '../helpers/render.ts';

describe('generated files', () => {
  test('each committed file is what k8s/render-generated.ts renders', async () => {
    for (const [relative, text] of Object.entries(generatedFiles())) {
      const committed = await readFile(path.join(baseDir, relative), 'utf8');
      assert.equal(
        committed,
        text,
        `${relative} is stale: run \`node --import tsx k8s/render-generated.ts --write\``,
      );
    }
  });

  test('the PrometheusRule has the groups of monitoring/alerts.yml, rule for rule', async () => {
    const alerts = parse(await readFile(alertsFile, 'utf8')) as { groups: unknown[] };
    assert.ok(alerts.groups.length > 0);
    for (const objects of [await renderBase(), await renderLocal()]) {
      const rule = find(objects, 'PrometheusRule', 'twofold');
      assert.deepEqual(rule.spec.groups, alerts.groups);
    }
  });

  test('the Grafana ConfigMap holds monitoring/grafana/twofold.json and the sidecar label', async () => {
    const dashboard = await readFile(dashboardFile, 'utf8');
    const configMap = find(await renderLocal(), 'ConfigMap', 'twofold-grafana-dashboard');
    assert.equal(configMap.data['twofold.json'], dashboard);
    assert.equal(configMap.metadata.labels.grafana_dashboard, '1');
  });

  test('the Redis ConfigMap holds the start scripts and the generated templates', async () => {
    const configMap = find(await renderBase(), 'ConfigMap', 'twofold-redis-scripts');
    for (const [key, file] of [
      ['redis-start.sh', 'redis/redis-start.sh'],
      ['sentinel-start.sh', 'redis/sentinel-start.sh'],
      ['redis.conf.template', 'redis/generated/redis.conf.template'],
      ['sentinel.conf.template', 'redis/generated/sentinel.conf.template'],
    ] as const)
      assert.equal(configMap.data[key], await readFile(path.join(baseDir, file), 'utf8'), key);
  });
});
