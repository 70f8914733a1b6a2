// The committed Grafana dashboard is what monitoring/grafana-dashboard.ts generates from panels.ts.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { dashboardFile, dashboardJson, grafanaVariable } from '../../grafana-dashboard.ts';
import { membersQuery, panels } from '../../panels.ts';

describe('Grafana dashboard', () => {
  test('monitoring/grafana/twofold.json is generated from panels.ts', async () => {
    const committed = await readFile(dashboardFile, 'utf8');
    assert.equal(
      committed,
      dashboardJson(),
      'stale: run `node --import tsx monitoring/grafana-dashboard.ts --write`',
    );
  });

  test('is valid JSON with unique panel ids, timeseries panels and a Prometheus datasource variable', async () => {
    const dashboard = JSON.parse(await readFile(dashboardFile, 'utf8'));
    assert.ok(dashboard.schemaVersion >= 36);
    const ids = dashboard.panels.map((panel: { id: number }) => panel.id);
    assert.equal(new Set(ids).size, ids.length, `duplicate panel ids: ${ids}`);
    assert.equal(ids.length, panels.length);
    const variable = dashboard.templating.list.find((v: { name: string }) => v.name === 'datasource');
    assert.equal(variable?.type, 'datasource');
    assert.equal(variable?.query, 'prometheus');
    for (const panel of dashboard.panels) {
      assert.equal(panel.type, 'timeseries');
      assert.equal(panel.datasource.uid, grafanaVariable('datasource'));
      assert.ok(panel.targets.length > 0, panel.title);
      const refIds = panel.targets.map((target: { refId: string }) => target.refId);
      assert.equal(new Set(refIds).size, refIds.length, panel.title);
    }
  });

  test('panels have unique ids and titles, and queries with balanced brackets', () => {
    assert.equal(new Set(panels.map((p) => p.id)).size, panels.length);
    for (const { id } of panels) assert.match(id, /^[a-z0-9-]{1,64}$/);
    assert.equal(new Set(panels.map((p) => p.title)).size, panels.length);
    const exprs = [...panels.flatMap((p) => p.queries.map((q) => q.expr)), ...Object.values(membersQuery)];
    for (const expr of exprs) {
      for (const [open, close] of [
        ['(', ')'],
        ['{', '}'],
        ['[', ']'],
      ] as const) {
        assert.equal(
          expr.split(open).length,
          expr.split(close).length,
          `unbalanced ${open}${close}: ${expr}`,
        );
      }
    }
  });
});
