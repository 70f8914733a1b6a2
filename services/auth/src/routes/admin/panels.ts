import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { panels } from '../../../../../monitoring/panels.ts';
import { ApiError } from '../../errors.ts';
import type { Prometheus } from './prometheus.ts';
import { alignedValues, legendOf, parseMinutes, timeRange, timestampsOf } from './time-range.ts';

/** A panel that matches too many series would be unreadable anyway; the answer stays small. */
const MAX_SERIES_PER_QUERY = 50;

const panelNotFound = () => new ApiError(404, 'not_found', 'There is no panel with that id.');

const PanelParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const RangeQuery = Type.Object(
  // A string: query values are never coerced here, and "abc", "-1" or "1e9" must be a clear 400.
  { minutes: Type.Optional(Type.String({ maxLength: 16 })) },
  { additionalProperties: false },
);

/** What this API needs of monitoring/panels.ts: checked here, so a change there fails to compile. */
interface Panel {
  id: string | number;
  title: string;
  unit: string;
  queries: ReadonlyArray<{ expr: string; legend: string }>;
}
const catalogue: readonly Panel[] = panels;

const summaries = catalogue.map(({ id, title, unit }) => ({ id, title, unit }));
const panelsById = new Map(catalogue.map((panel) => [String(panel.id), panel]));

/** The graphs: their list, and one panel's fixed queries over the last minutes. */
export const opsPanels: FastifyPluginAsyncTypebox<{ prometheus: Prometheus }> = async (
  app,
  { prometheus },
) => {
  app.get('/api/v1/ops/panels', async () => ({ panels: summaries }));

  app.get(
    '/api/v1/ops/panels/:id',
    { schema: { params: PanelParams, querystring: RangeQuery } },
    async (request) => {
      const minutes = parseMinutes(request.query.minutes);
      const panel = panelsById.get(request.params.id);
      if (!panel) throw panelNotFound();
      const range = timeRange(minutes);
      const results = await Promise.all(
        panel.queries.map((query) => prometheus.queryRange(query.expr, range)),
      );
      const series = results.flatMap((result, i) =>
        result.slice(0, MAX_SERIES_PER_QUERY).map((found) => ({
          name: legendOf(panel.queries[i]?.legend ?? '', found.metric),
          values: alignedValues(found, range),
        })),
      );
      return {
        panel: { id: panel.id, title: panel.title, unit: panel.unit },
        range: { ...range, minutes },
        timestamps: timestampsOf(range),
        series,
      };
    },
  );
};
