// A read-only client of Prometheus's HTTP API for the ops dashboard. Every call has a deadline, and
// every failure becomes one generic 503: the browser never learns Prometheus's address or its errors.
// A replica has at most a few calls in flight there, whatever an admin session sends (429 beyond).
import type { FastifyBaseLogger } from 'fastify';
import { ApiError } from '../../errors.ts';
import { ConcurrencyLimit, WaitAborted } from './concurrency.ts';

/** Calls one replica may have running at Prometheus at once. */
export const MAX_IN_FLIGHT = 4;
/**
 * Calls that may wait for one of those slots: one dashboard's round (every panel, members and alerts
 * at once) is some 30 calls; past this line a call is refused at once with a 429.
 */
export const MAX_QUEUED = 64;

export const monitoringUnavailable = () =>
  new ApiError(503, 'monitoring_unavailable', 'Monitoring is not available right now. Try again shortly.');

/** Answers larger than this are not ours to relay (a panel's few series over ≤ 300 points are far less). */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface InstantSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface RangeSeries {
  metric: Record<string, string>;
  values: Array<[number, string]>;
}

export interface ActiveTarget {
  labels: Record<string, string>;
  scrapePool?: string;
  health: 'up' | 'down' | 'unknown';
  lastScrape?: string;
  lastError?: string;
}

export interface PrometheusAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  state: 'firing' | 'pending' | 'inactive';
  activeAt?: string;
}

export class Prometheus {
  constructor(
    private readonly baseUrl: string | undefined,
    private readonly timeoutMs: number,
    private readonly log: FastifyBaseLogger,
    private readonly limit = new ConcurrencyLimit(MAX_IN_FLIGHT, MAX_QUEUED),
    /** Basic auth, when Prometheus asks for it (the cluster's does). */
    private readonly authorization?: string,
  ) {}

  async query(expr: string): Promise<InstantSample[]> {
    const data = await this.#get<{ result: InstantSample[] }>('/api/v1/query', { query: expr });
    return data.result;
  }

  async queryRange(
    expr: string,
    range: { start: number; end: number; step: number },
  ): Promise<RangeSeries[]> {
    const data = await this.#get<{ result: RangeSeries[] }>('/api/v1/query_range', {
      query: expr,
      start: String(range.start),
      end: String(range.end),
      step: String(range.step),
    });
    return data.result;
  }

  async activeTargets(): Promise<ActiveTarget[]> {
    const data = await this.#get<{ activeTargets: ActiveTarget[] }>('/api/v1/targets', { state: 'active' });
    return data.activeTargets ?? [];
  }

  async alerts(): Promise<PrometheusAlert[]> {
    const data = await this.#get<{ alerts: PrometheusAlert[] }>('/api/v1/alerts', {});
    return data.alerts ?? [];
  }

  async #get<T>(path: string, params: Record<string, string>): Promise<T> {
    if (!this.baseUrl) throw monitoringUnavailable();
    const url = `${this.baseUrl}${path}?${new URLSearchParams(params)}`;
    // One deadline for the wait for a slot and the call: the answer comes within the timeout still.
    const signal = AbortSignal.timeout(this.timeoutMs);
    let release: () => void;
    try {
      release = await this.limit.acquire(signal);
    } catch (error) {
      if (!(error instanceof WaitAborted)) throw error; // the line is full: 429
      this.log.warn({ prometheusPath: path }, 'prometheus query waited out its timeout for a slot');
      throw monitoringUnavailable();
    }
    try {
      const response = await fetch(url, {
        headers: {
          accept: 'application/json',
          ...(this.authorization ? { authorization: this.authorization } : {}),
        },
        redirect: 'error',
        // Covers the body too: a Prometheus that stalls mid-answer is given up on all the same.
        signal,
      });
      const length = Number(response.headers.get('content-length') ?? 0);
      if (length > MAX_BODY_BYTES) throw new Error(`answer of ${length} bytes`);
      const text = await response.text();
      if (text.length > MAX_BODY_BYTES) throw new Error(`answer of ${text.length} characters`);
      const body = JSON.parse(text) as { status?: string; data?: T; error?: string };
      if (!response.ok || body.status !== 'success' || !body.data) {
        throw new Error(`HTTP ${response.status}: ${body.error ?? 'no data'}`);
      }
      return body.data;
    } catch (error) {
      this.log.warn({ err: error, prometheusPath: path }, 'prometheus query failed');
      throw monitoringUnavailable();
    } finally {
      release();
    }
  }
}
