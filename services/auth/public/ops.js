// The ops dashboard: members, alerts and graphs from the admin API, refreshed in place.
// biome-ignore lint/suspicious/noRedundantUseStrict: a classic browser script, not an ES module
'use strict';

(() => {
  const { AUTHENTICATED_ONLY, api, go, routeBySession, showError, clearMessages } = window.Twofold;
  const $ = (id) => document.getElementById(id);
  const STATUS_EVERY_MS = 5000; // members and alerts: a killed member shows within one scrape + this
  const GRAPHS_EVERY_MS = 15000;
  const REQUEST_TIMEOUT_MS = 8000;
  const PALETTE = ['#3b6fd8', '#d9822b', '#2f9e61', '#b5489c', '#7a5cc7', '#1b9aaa', '#a3762c', '#d14b4b'];
  const roleNames = { leader: 'Leader', replica: 'Replica', master: 'Master', sentinel: 'Sentinel' };
  const charts = new Map(); // panel id → { plot, names, box, latest }
  let markers = [];
  let stopped = false;

  start();

  async function start() {
    if (!(await routeBySession(AUTHENTICATED_ONLY))) return;
    let panels;
    try {
      ({ panels } = await call('/api/v1/ops/panels'));
    } catch (err) {
      if (!handled(err)) showError(err.message);
      return;
    }
    $('ops-content').hidden = false;
    buildPanels(panels);
    $('range').addEventListener('change', () => refreshGraphs(panels));
    window.addEventListener('resize', resizeCharts);
    every(STATUS_EVERY_MS, refreshStatus);
    every(GRAPHS_EVERY_MS, () => refreshGraphs(panels));
  }

  function call(path) {
    return api('GET', path, undefined, { timeoutMs: REQUEST_TIMEOUT_MS });
  }

  // A 401 or 403 ends the dashboard; anything else (503: Prometheus down) is shown and retried.
  function handled(err) {
    if (err.status === 401) {
      stopped = true;
      go('/login?reason=expired', { replace: true });
      return true;
    }
    if (err.status === 403) {
      stopped = true;
      $('ops-content').hidden = true;
      if (err.code === 'second_factor_required') $('forbidden-text').textContent = err.message;
      $('forbidden').hidden = false;
      return true;
    }
    return false;
  }

  // The next round starts only after this one ended: never two requests of a kind at once.
  function every(ms, task) {
    const round = async () => {
      if (stopped) return;
      if (!document.hidden) await task();
      if (!stopped) setTimeout(round, ms);
    };
    round();
  }

  async function refreshStatus() {
    const minutes = $('range').value;
    const [members, alerts] = await Promise.allSettled([
      call('/api/v1/ops/members'),
      call(`/api/v1/ops/alerts?minutes=${minutes}`),
    ]);
    const failure = [members, alerts].find((answer) => answer.status === 'rejected');
    if (failure && handled(failure.reason)) return;
    if (failure) {
      showError(`${failure.reason.message} The tables show the last answer.`);
      $('monitoring-status').textContent = 'Monitoring did not answer; retrying every 5 seconds.';
    } else {
      clearMessages();
      $('monitoring-status').textContent = `Updated ${new Date().toLocaleTimeString()}.`;
    }
    if (members.status === 'fulfilled') showMembers(members.value.members);
    if (alerts.status === 'fulfilled') showAlerts(alerts.value);
  }

  function cell(text, className) {
    const td = document.createElement('td');
    td.textContent = text;
    if (className) td.className = className;
    return td;
  }

  function showMembers(members) {
    $('member-rows').replaceChildren(
      ...members.map((m) => {
        const row = document.createElement('tr');
        const name = document.createElement('th');
        name.scope = 'row';
        name.textContent = m.member;
        const state = cell('', `state ${m.up ? 'up' : 'down'}`);
        state.textContent = m.up ? 'Up' : m.health === 'unknown' ? 'Unknown' : 'Down';
        if (m.lastError) state.title = m.lastError;
        const role = cell(roleNames[m.role] ?? m.role ?? '—', m.role ? `role ${m.role}` : 'muted');
        const scraped = m.lastScrape ? new Date(m.lastScrape).toLocaleTimeString() : 'never';
        row.append(name, cell(m.job), state, role, cell(scraped, 'muted'));
        return row;
      }),
    );
    $('members-empty').hidden = members.length > 0;
  }

  function showAlerts({ alerts, markers: found }) {
    $('alert-list').replaceChildren(
      ...alerts.map((a) => {
        const item = document.createElement('li');
        item.className = `alert ${a.state}`;
        const title = document.createElement('strong');
        title.textContent = `${a.state === 'firing' ? 'Firing' : 'Pending'}: ${a.name}`;
        const where = [a.member, a.severity].filter(Boolean).join(', ');
        const since = a.activeAt ? ` since ${new Date(a.activeAt).toLocaleTimeString()}` : '';
        item.append(title, `${where ? ` (${where})` : ''}${since}${a.summary ? ` — ${a.summary}` : ''}`);
        return item;
      }),
    );
    $('alerts-empty').hidden = alerts.length > 0;
    markers = found;
    for (const chart of charts.values()) chart.plot?.redraw(false);
  }

  function buildPanels(panels) {
    $('panels').replaceChildren(
      ...panels.map((panel) => {
        const figure = document.createElement('figure');
        figure.className = 'ops-panel';
        const heading = document.createElement('h3');
        heading.id = `panel-${panel.id}-title`;
        heading.textContent = panel.title;
        const box = document.createElement('div');
        box.className = 'ops-chart';
        box.setAttribute('role', 'img');
        box.setAttribute('aria-labelledby', heading.id);
        const latest = document.createElement('figcaption');
        latest.className = 'ops-latest muted';
        latest.textContent = 'Loading…';
        figure.append(heading, box, latest);
        charts.set(panel.id, { plot: null, names: '', box, latest });
        return figure;
      }),
    );
  }

  // A range change during a round is drawn by one more round after it, not by a second one at once.
  let graphsRound = null;
  let graphsAgain = false;
  function refreshGraphs(panels) {
    if (graphsRound) {
      graphsAgain = true;
      return graphsRound;
    }
    graphsRound = fetchGraphs(panels).finally(() => {
      graphsRound = null;
      if (graphsAgain && !stopped) {
        graphsAgain = false;
        refreshGraphs(panels);
      }
    });
    return graphsRound;
  }

  async function fetchGraphs(panels) {
    const minutes = $('range').value;
    await Promise.all(
      panels.map(async (panel) => {
        try {
          draw(panel, await call(`/api/v1/ops/panels/${encodeURIComponent(panel.id)}?minutes=${minutes}`));
        } catch (err) {
          if (handled(err)) return;
          const chart = charts.get(panel.id);
          if (chart) chart.latest.textContent = `No data: ${err.message}`;
        }
      }),
    );
  }

  function draw(panel, answer) {
    const chart = charts.get(panel.id);
    if (!chart) return;
    const names = answer.series.map((s) => s.name).join('\n');
    const data = [answer.timestamps, ...answer.series.map((s) => s.values)];
    if (chart.plot && chart.names === names) chart.plot.setData(data);
    else {
      chart.plot?.destroy();
      chart.plot = new window.uPlot(options(panel.unit, answer.series), data, chart.box);
      chart.names = names;
    }
    chart.latest.textContent = summary(panel.unit, answer.series);
  }

  function options(unit, series) {
    const style = getComputedStyle(document.documentElement);
    const text = style.getPropertyValue('--muted').trim() || '#555';
    const grid = style.getPropertyValue('--border').trim() || '#ddd';
    const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    return {
      width: chartWidth(),
      height: 200,
      series: [
        {},
        ...series.map((s, i) => ({
          label: s.name,
          stroke: PALETTE[i % PALETTE.length],
          width: 1.5,
          value: (_u, v) => format(unit, v),
        })),
      ],
      axes: [axis, { ...axis, size: 64, values: (_u, ticks) => ticks.map((v) => format(unit, v)) }],
      plugins: [{ hooks: { draw: drawMarkers } }],
    };
  }

  // Alerts: a solid red line where one started firing, a dashed green one where it stopped.
  function drawMarkers(u) {
    const { ctx, bbox } = u;
    const ratio = window.devicePixelRatio || 1;
    ctx.save();
    ctx.lineWidth = Math.max(1, ratio);
    for (const marker of markers) {
      const x = u.valToPos(marker.at, 'x', true);
      if (!(x >= bbox.left && x <= bbox.left + bbox.width)) continue;
      const firing = marker.kind !== 'resolved';
      ctx.strokeStyle = firing ? '#d12f2f' : '#2f9e61';
      ctx.setLineDash(firing ? [] : [4 * ratio, 3 * ratio]);
      ctx.beginPath();
      ctx.moveTo(x, bbox.top);
      ctx.lineTo(x, bbox.top + bbox.height);
      ctx.stroke();
    }
    ctx.restore();
  }

  function summary(unit, series) {
    if (series.length === 0) return 'No data in this range.';
    const latest = series.slice(0, 6).map((s) => {
      const value = s.values.findLast((v) => v !== null);
      return `${s.name} ${value === undefined ? '—' : format(unit, value)}`;
    });
    return `Latest: ${latest.join(', ')}${series.length > 6 ? ', …' : ''}`;
  }

  function format(unit, value) {
    if (value === null || value === undefined) return '—';
    const n = Number(value);
    if (unit === 'percent') return `${round(n)}%`;
    if (unit === 'ops') return `${si(n)}/s`;
    if (unit === 's') return n !== 0 && Math.abs(n) < 1 ? `${round(n * 1000)} ms` : `${round(n)} s`;
    if (unit === 'bytes') return bytes(n);
    return si(n);
  }

  function round(n) {
    return Math.abs(n) >= 100 ? n.toFixed(0) : Number(n.toPrecision(3)).toString();
  }

  function si(n) {
    const abs = Math.abs(n);
    if (abs >= 1e9) return `${round(n / 1e9)}G`;
    if (abs >= 1e6) return `${round(n / 1e6)}M`;
    if (abs >= 1e3) return `${round(n / 1e3)}k`;
    return round(n);
  }

  function bytes(n) {
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (Math.abs(n) >= 1024 && i < units.length - 1) {
      n /= 1024;
      i += 1;
    }
    return `${round(n)} ${units[i]}`;
  }

  function chartWidth() {
    const box = charts.values().next().value?.box;
    return Math.max(240, Math.floor(box?.parentElement?.clientWidth ?? 600));
  }

  function resizeCharts() {
    for (const chart of charts.values()) chart.plot?.setSize({ width: chartWidth(), height: 200 });
  }
})();
