import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { markedAlerts } from '../../../../../monitoring/panels.ts';
import type { Prometheus, RangeSeries } from './prometheus.ts';
import { parseMinutes, type TimeRange, timeRange } from './time-range.ts';

// Alert names are identifiers (monitoring/alerts.yml): nothing to escape in the regex.
const FIRING = `ALERTS{alertstate="firing", alertname=~"${markedAlerts.join('|')}"}`;
const MAX_ALERTS = 100;
const MAX_TEXT = 500;

const RangeQuery = Type.Object(
  { minutes: Type.Optional(Type.String({ maxLength: 16 })) },
  { additionalProperties: false },
);

export interface AlertMarker {
  /** Unix seconds: the first point at which the alert was firing, or the first one after it was. */
  at: number;
  kind: 'firing' | 'resolved';
  name: string;
  member: string | null;
}

/** Where each marked alert started and stopped firing within the range, from its gaps. */
export function alertMarkers(series: RangeSeries[], range: TimeRange): AlertMarker[] {
  const markers: AlertMarker[] = [];
  for (const { metric, values } of series) {
    const mark = (at: number, kind: AlertMarker['kind']) =>
      markers.push({ at, kind, name: metric.alertname ?? 'alert', member: metric.member ?? null });
    let previous: number | undefined;
    for (const [time] of values) {
      // Already firing at the range's first point: it started before the graph, no line to draw.
      if (previous === undefined ? time > range.start : time - previous > range.step) {
        if (previous !== undefined) mark(previous + range.step, 'resolved');
        mark(time, 'firing');
      }
      previous = time;
    }
    if (previous !== undefined && previous < range.end) mark(previous + range.step, 'resolved');
  }
  return markers.sort((a, b) => a.at - b.at).slice(-MAX_ALERTS);
}

const clip = (text: string | undefined) => (text ? text.slice(0, MAX_TEXT) : null);

/** Alerts firing or pending now, and where alerts started firing over the graphs' range. */
export const opsAlerts: FastifyPluginAsyncTypebox<{ prometheus: Prometheus }> = async (
  app,
  { prometheus },
) => {
  app.get('/api/v1/ops/alerts', { schema: { querystring: RangeQuery } }, async (request) => {
    const range = timeRange(parseMinutes(request.query.minutes));
    const [alerts, firing] = await Promise.all([prometheus.alerts(), prometheus.queryRange(FIRING, range)]);
    return {
      alerts: alerts
        .filter((alert) => alert.state === 'firing' || alert.state === 'pending')
        .slice(0, MAX_ALERTS)
        .map((alert) => ({
          name: alert.labels.alertname ?? 'alert',
          state: alert.state,
          severity: alert.labels.severity ?? null,
          member: alert.labels.member ?? null,
          summary: clip(alert.annotations?.summary ?? alert.annotations?.description),
          activeAt: alert.activeAt ?? null,
        })),
      markers: alertMarkers(firing, range),
    };
  });
};
