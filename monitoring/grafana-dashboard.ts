// Grafana's dashboard, generated from monitoring/panels.ts so it cannot drift from /ops.
// `node --import tsx monitoring/grafana-dashboard.ts --write` rewrites monitoring/grafana/twofold.json;
// monitoring/test/unit/grafana-dashboard.test.ts fails when the committed file differs.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Panel, type PanelUnit, panels } from './panels.ts';

export const dashboardFile = path.join(path.dirname(fileURLToPath(import.meta.url)), 'grafana/twofold.json');

const WIDTH = 12; // two panels a row on Grafana's 24-column grid
const HEIGHT = 8;

const grafanaUnit: Record<PanelUnit, string> = {
  ops: 'ops',
  s: 's',
  percent: 'percent',
  bytes: 'bytes',
  short: 'short',
};

/** A dashboard variable as Grafana writes it: `${name}`. */
export const grafanaVariable = (name: string) => `\${${name}}`;

const datasource = { type: 'prometheus', uid: grafanaVariable('datasource') };

function grafanaPanel(panel: Panel, index: number) {
  return {
    id: index + 1, // Grafana's ids are numbers; the panel's own id names the link to /ops
    type: 'timeseries',
    title: panel.title,
    description: `Twofold panel "${panel.id}" (monitoring/panels.ts)`,
    datasource,
    gridPos: { h: HEIGHT, w: WIDTH, x: (index % 2) * WIDTH, y: Math.floor(index / 2) * HEIGHT },
    fieldConfig: {
      defaults: { unit: grafanaUnit[panel.unit], custom: { lineWidth: 1, fillOpacity: 10 } },
      overrides: [],
    },
    options: {
      legend: { displayMode: 'list', placement: 'bottom', showLegend: true },
      tooltip: { mode: 'multi', sort: 'none' },
    },
    targets: panel.queries.map((query, i) => ({
      datasource,
      expr: query.expr,
      legendFormat: query.legend,
      refId: String.fromCharCode(65 + i),
    })),
  };
}

export function grafanaDashboard(list: Panel[] = panels) {
  return {
    __inputs: [
      {
        name: 'DS_PROMETHEUS',
        label: 'Prometheus',
        type: 'datasource',
        pluginId: 'prometheus',
        pluginName: 'Prometheus',
      },
    ],
    annotations: {
      list: [
        {
          name: 'Twofold alerts',
          datasource,
          enable: true,
          iconColor: 'red',
          expr: 'ALERTS{alertname=~"Twofold.*", alertstate="firing"}',
          titleFormat: '{{alertname}}',
          textFormat: '{{member}}',
          step: '15s',
        },
      ],
    },
    editable: true,
    graphTooltip: 1,
    panels: list.map(grafanaPanel),
    refresh: '10s',
    schemaVersion: 38,
    tags: ['twofold'],
    templating: {
      list: [
        {
          name: 'datasource',
          label: 'Prometheus',
          type: 'datasource',
          query: 'prometheus',
          current: { text: grafanaVariable('DS_PROMETHEUS'), value: grafanaVariable('DS_PROMETHEUS') },
          hide: 0,
        },
      ],
    },
    time: { from: 'now-30m', to: 'now' },
    timezone: 'browser',
    title: 'Twofold',
    uid: 'twofold',
    version: 1,
  };
}

/** Arrays of plain values on one line, as `biome format` writes JSON (the lint must pass on the file). */
const inlinePlainArrays = (json: string) =>
  json.replace(
    /\[\n\s+([^[\]{}\n]+(?:\n\s+[^[\]{}\n]+)*)\n\s*\]/g,
    (_match, items: string) =>
      `[${items
        .split('\n')
        .map((item) => item.trim())
        .join(' ')}]`,
  );

/** The file's text: what --write writes and the test compares with. */
export const dashboardJson = (list: Panel[] = panels) =>
  `${inlinePlainArrays(JSON.stringify(grafanaDashboard(list), null, 2))}\n`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--write')) {
    writeFileSync(dashboardFile, dashboardJson());
    console.log(`wrote ${path.relative(process.cwd(), dashboardFile)}`);
  } else {
    process.stdout.write(dashboardJson());
  }
}
