// The dashboard's panels, once: the built-in /ops page draws them and monitoring/grafana-dashboard.ts
// turns them into monitoring/grafana/twofold.json. Queries are PromQL over the jobs of
// deploy/src/monitoring-config.ts (every series has a `member` label).

export type PanelUnit = 'ops' | 's' | 'percent' | 'bytes' | 'short';

export interface PanelQuery {
  expr: string;
  /** The series' name on the graph; `{{label}}` is replaced by the label's value (Grafana's syntax). */
  legend: string;
}

export interface Panel {
  /** Stable, unique and URL-safe: the /ops page's API addresses a panel by it. */
  id: string;
  title: string;
  unit: PanelUnit;
  queries: PanelQuery[];
}

const quantiles = (metric: string, by = '') =>
  [0.5, 0.95, 0.99].map((q) => ({
    expr: `histogram_quantile(${q}, sum by (le${by}) (rate(${metric}_bucket[1m])))`,
    legend: `p${q * 100}`,
  }));

export const panels: Panel[] = [
  {
    id: 'login-outcomes',
    title: 'Password logins by outcome',
    unit: 'ops',
    queries: [
      {
        expr: 'sum by (result) (rate(twofold_login_steps_total{step="password"}[1m]))',
        legend: '{{result}}',
      },
    ],
  },
  {
    id: 'second-factors',
    title: 'Second factors by factor and outcome',
    unit: 'ops',
    queries: [
      {
        expr: 'sum by (factor, result) (rate(twofold_second_factor_total[1m]))',
        legend: '{{factor}} {{result}}',
      },
    ],
  },
  {
    id: 'request-latency',
    title: 'Request latency',
    unit: 's',
    queries: quantiles('twofold_http_request_duration_seconds'),
  },
  {
    id: 'error-ratio',
    title: '5xx ratio',
    unit: 'percent',
    queries: [
      {
        expr:
          // No 5xx yet means no such series: a ratio of 0, not a gap.
          '100 * (sum(rate(twofold_http_request_duration_seconds_count{status_code=~"5.."}[1m])) or on() vector(0))' +
          ' / sum(rate(twofold_http_request_duration_seconds_count[1m]))',
        legend: '5xx',
      },
    ],
  },
  {
    id: 'password-hash-p95',
    title: 'Password hashing p95',
    unit: 's',
    queries: [
      {
        expr: 'histogram_quantile(0.95, sum by (le, operation) (rate(twofold_password_hash_duration_seconds_bucket[1m])))',
        legend: '{{operation}}',
      },
    ],
  },
  {
    id: 'password-hash-pending',
    title: 'Password hashes pending',
    unit: 'short',
    queries: [
      { expr: 'sum by (member) (twofold_password_hash_pending)', legend: '{{member}}' },
      { expr: 'max(twofold_password_hash_pending_limit)', legend: 'limit' },
      { expr: 'sum(rate(twofold_password_hash_refused_total[1m]))', legend: 'refused/s' },
    ],
  },
  {
    id: 'lockouts',
    title: 'Lockouts',
    unit: 'ops',
    // A counter appears at its first event: until then the panel shows 0.
    queries: [
      { expr: 'sum by (scope) (rate(twofold_lockouts_total[1m])) or on() vector(0)', legend: '{{scope}}' },
    ],
  },
  {
    id: 'active-sessions',
    title: 'Active sessions',
    unit: 'short',
    queries: [{ expr: 'max(twofold_active_sessions)', legend: 'sessions' }],
  },
  {
    id: 'push-delivery',
    title: 'Push delivery p95',
    unit: 's',
    queries: [
      {
        expr: 'histogram_quantile(0.95, sum by (le) (rate(twofold_push_delivery_seconds_bucket[1m])))',
        legend: 'p95',
      },
      { expr: 'sum(twofold_push_connected_phones)', legend: 'connected phones' },
    ],
  },
  {
    id: 'members-up',
    title: 'Members up by job',
    unit: 'short',
    queries: [{ expr: 'sum by (job) (up)', legend: '{{job}}' }],
  },
  {
    id: 'postgres-leader',
    title: 'PostgreSQL leader',
    unit: 'short',
    queries: [{ expr: 'max by (member) (patroni_master{job="patroni"})', legend: '{{member}}' }],
  },
  {
    id: 'postgres-replication-lag',
    title: 'PostgreSQL replication lag',
    unit: 'bytes',
    queries: [
      {
        expr:
          'scalar(max(patroni_xlog_location{job="patroni"})) - (patroni_xlog_replayed_location{job="patroni"}' +
          ' and on(job, member) patroni_replica{job="patroni"} == 1)',
        legend: '{{member}}',
      },
    ],
  },
  {
    id: 'redis-roles',
    title: 'Redis role (1 = master) and connected replicas',
    unit: 'short',
    queries: [
      {
        expr: 'max by (member) (redis_instance_info{job="redis", role="master"})',
        legend: '{{member}} master',
      },
      { expr: 'max by (member) (redis_connected_slaves{job="redis"})', legend: '{{member}} replicas' },
    ],
  },
  {
    id: 'pg-pool',
    title: 'PostgreSQL pool connections',
    unit: 'short',
    queries: [
      { expr: 'sum by (state) (twofold_pg_pool_connections)', legend: '{{state}}' },
      {
        expr: 'sum by (reason) (rate(twofold_pg_retries_total[1m])) or on() vector(0)',
        legend: 'retries/s {{reason}}',
      },
    ],
  },
  {
    id: 'redis-reconnects',
    title: 'Redis reconnects and master changes',
    unit: 'short',
    queries: [
      { expr: 'sum(increase(twofold_redis_reconnects_total[5m]))', legend: 'reconnects (5m)' },
      { expr: 'sum(increase(twofold_redis_master_changes_total[5m]))', legend: 'master changes (5m)' },
    ],
  },
];

/** Alerts the /ops page marks on its graphs (when they started firing, when they resolved). */
export const markedAlerts = [
  'TwofoldReplicaDown',
  'TwofoldServiceDown',
  'TwofoldLoadBalancerDown',
  'TwofoldDataStoreMemberDown',
  'TwofoldPostgresNoLeader',
  'TwofoldRedisMasterChanged',
  'TwofoldLoginFailureRatioHigh',
  'TwofoldHighErrorRatio',
] as const;

/** Instant queries for the /ops member table, each answering one value per `member`. */
export const membersQuery = {
  /** 1 when Prometheus reached the member's target (redis/sentinel: the exporter reached it). */
  up: 'max by (member, job) (up{job!="redis"}) or max by (member, job) (redis_up{job="redis"})',
  /** 1 on the PostgreSQL leader, 0 on replicas. */
  postgresLeader: 'max by (member) (patroni_master{job="patroni"})',
  /** Redis role: the series' `role` label (master, slave; empty for sentinels). */
  redisRole: 'max by (member, role) (redis_instance_info{job="redis"})',
} as const;
