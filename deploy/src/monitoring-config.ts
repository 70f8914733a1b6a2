// Prometheus's scrape config and Alertmanager's config, generated from the member list: each
// member kind says where its metrics are (or why it has none), so a new member cannot be forgotten.
import type { MemberKind, MemberPlan } from './members.ts';
import type { PortMap } from './ports.ts';

/** Every scrape and rule evaluation this often: a killed member shows within ~15 s. */
export const SCRAPE_INTERVAL_SECONDS = 5;

export interface ScrapeTarget {
  job: string;
  /** host:port Prometheus connects to. */
  address: string;
  metricsPath: string;
  /** The cluster member the series describe (redis-1, lb-a...), a label on every series. */
  member: string;
  /** The exporter member in between, when there is one. */
  exporter?: string;
  /** For a multi-target exporter: what it should scrape (`?target=`). */
  target?: string;
  /** HTTP basic auth (HAProxy's /metrics): the user, and the file Prometheus reads the password from. */
  basicAuth?: { username: string; passwordFile: string };
}

/** The user of Prometheus's, Alertmanager's and HAProxy's HTTP APIs. */
export const OPERATOR = 'operator';

export interface ScrapeContext {
  ports: PortMap;
  /** The password files, as Prometheus's user reads them: HAProxy's stats, its own API, Alertmanager's. */
  passwordFiles: { haproxy: string; prometheus: string; alertmanager: string };
}

const local = (port: number) => `127.0.0.1:${port}`;
const indexOf = (member: MemberPlan) => Number(member.name.split('-').pop()) - 1;

/** Members with nothing to scrape, and why (a kind missing here and below fails to compile). */
export const UNSCRAPED: Partial<Record<MemberKind, string>> = {
  mail: 'the development mail sink has no metrics',
  demo: 'the demo application is an example, not part of the service',
};

/** Where the metrics about `member` are; [] for UNSCRAPED kinds. */
export function scrapeTargetsOf(member: MemberPlan, context: ScrapeContext): ScrapeTarget[] {
  const { ports } = context;
  const own = (job: string, port: number, passwordFile?: string): ScrapeTarget[] => [
    {
      job,
      address: local(port),
      metricsPath: '/metrics',
      member: member.name,
      ...(passwordFile ? { basicAuth: { username: OPERATOR, passwordFile } } : {}),
    },
  ];
  const viaRedisExporter = (): ScrapeTarget[] => [
    {
      job: 'redis',
      address: local(ports.monitoring.redisExporter),
      metricsPath: '/scrape',
      member: member.name,
      exporter: 'redis-exporter',
      target: `redis://${local(member.port)}`,
    },
  ];
  switch (member.kind) {
    case 'etcd':
      return own('etcd', ports.etcd.client);
    case 'postgres':
      // Patroni's own /metrics: role, timeline, WAL positions (the exporter gives PostgreSQL's view).
      return own('patroni', ports.patroni[indexOf(member)] as number);
    case 'haproxy':
      return own('haproxy', ports.haproxy.stats, context.passwordFiles.haproxy);
    case 'redis':
    case 'sentinel':
      return viaRedisExporter();
    case 'auth':
      return own('auth', member.port);
    case 'push':
      return own('push', member.port);
    case 'nginx': {
      // The exporter reads lb-X's stub_status; its nginx_up says whether lb-X answers.
      const exporter = `nginx-exporter-${member.name.slice(-1)}`;
      const port = ports.monitoring.nginxExporters[member.name === 'lb-a' ? 0 : 1] as number;
      return [{ job: 'nginx', address: local(port), metricsPath: '/metrics', member: member.name, exporter }];
    }
    case 'exporter':
      if (member.name === 'node-exporter') return own('node', member.port);
      if (member.name === 'postgres-exporter') return own('postgres', member.port);
      if (member.name === 'redis-exporter') return own('redis-exporter', member.port);
      return []; // nginx-exporter-a/b: scraped as lb-a/lb-b above
    case 'alertmanager':
      return own('alertmanager', member.port, context.passwordFiles.alertmanager);
    case 'prometheus':
      return own('prometheus', member.port, context.passwordFiles.prometheus);
    case 'mail':
    case 'demo':
      return [];
  }
}

export function scrapeTargets(plan: MemberPlan[], context: ScrapeContext): ScrapeTarget[] {
  return plan.flatMap((member) => scrapeTargetsOf(member, context));
}

const quote = (value: string) => JSON.stringify(value);

function jobConfig(job: string, targets: ScrapeTarget[]): string {
  const first = targets[0] as ScrapeTarget;
  const lines = [`  - job_name: ${quote(job)}`, `    metrics_path: ${quote(first.metricsPath)}`];
  if (first.basicAuth) {
    lines.push(
      '    basic_auth:',
      `      username: ${quote(first.basicAuth.username)}`,
      `      password_file: ${quote(first.basicAuth.passwordFile)}`,
    );
  }
  lines.push('    static_configs:');
  for (const target of targets) {
    // A multi-target exporter's targets are what it scrapes; relabelling below points at the exporter.
    lines.push(`      - targets: [${quote(target.target ?? target.address)}]`, '        labels:');
    lines.push(`          member: ${quote(target.member)}`);
    if (target.exporter) lines.push(`          exporter: ${quote(target.exporter)}`);
  }
  if (first.target) {
    lines.push(
      '    relabel_configs:',
      '      - source_labels: [__address__]',
      '        target_label: __param_target',
      '      - source_labels: [member]',
      '        target_label: instance',
      '      - target_label: __address__',
      `        replacement: ${quote(first.address)}`,
    );
  }
  return lines.join('\n');
}

export interface PrometheusConfigOptions extends ScrapeContext {
  plan: MemberPlan[];
  /** The rules file, as Prometheus's user reads it. */
  rulesFile: string;
}

export function renderPrometheusConfig(options: PrometheusConfigOptions): string {
  return renderScrapeConfig({
    targets: scrapeTargets(options.plan, options),
    rulesFile: options.rulesFile,
    alertmanager: {
      address: local(options.ports.monitoring.alertmanager),
      passwordFile: options.passwordFiles.alertmanager,
    },
  });
}

export interface ScrapeConfigOptions {
  targets: ScrapeTarget[];
  rulesFile: string;
  /** host:port of Alertmanager, and the file of `operator`'s password there. */
  alertmanager: { address: string; passwordFile: string };
}

/** prometheus.yml for these targets: one machine's (above) or the containers' (deploy/compose/render.ts). */
export function renderScrapeConfig(options: ScrapeConfigOptions): string {
  const byJob = new Map<string, ScrapeTarget[]>();
  for (const target of options.targets) {
    byJob.set(target.job, [...(byJob.get(target.job) ?? []), target]);
  }
  return `# Generated by twofold (deploy/src/monitoring-config.ts) at every start: edits are overwritten.
global:
  scrape_interval: ${SCRAPE_INTERVAL_SECONDS}s
  scrape_timeout: ${SCRAPE_INTERVAL_SECONDS - 1}s
  evaluation_interval: ${SCRAPE_INTERVAL_SECONDS}s
  external_labels:
    cluster: twofold
rule_files:
  - ${quote(options.rulesFile)}
alerting:
  alertmanagers:
    - basic_auth:
        username: ${quote(OPERATOR)}
        password_file: ${quote(options.alertmanager.passwordFile)}
      static_configs:
        - targets: [${quote(options.alertmanager.address)}]
scrape_configs:
${[...byJob].map(([job, targets]) => jobConfig(job, targets)).join('\n')}
`;
}

export interface AlertmanagerConfigOptions {
  smtpPort: number;
  /** The mail relay's host: the mail sink on loopback by default, or its container's name. */
  smtpHost?: string;
  /** Where alerts are mailed (TWOFOLD_ALERT_EMAIL; the development mail sink catches everything). */
  to: string;
  from: string;
}

const MAIL_TEXT = `{{ range .Alerts }}{{ .Status | toUpper }} {{ .Labels.alertname }} ({{ .Labels.severity }}) on {{ .Labels.member }}
{{ .Annotations.summary }}
{{ .Annotations.description }}
Runbook: {{ .Annotations.runbook }}
Since {{ .StartsAt }}

{{ end }}`;

const EMAIL = /^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+$/;

export function renderAlertmanagerConfig({
  smtpPort,
  smtpHost = '127.0.0.1',
  to,
  from,
}: AlertmanagerConfigOptions): string {
  for (const address of [to, from]) if (!EMAIL.test(address)) throw new Error(`invalid e-mail "${address}"`);
  return `# Generated by twofold (deploy/src/monitoring-config.ts) at every start: edits are overwritten.
global:
  smtp_smarthost: ${quote(`${smtpHost}:${smtpPort}`)}
  smtp_from: ${quote(from)}
  # The local mail sink speaks plain SMTP on loopback; a real relay wants TLS (smtp_require_tls).
  smtp_require_tls: false
route:
  receiver: operators
  group_by: [alertname, member]
  # Short waits: an operator killing a member should get the mail within half a minute.
  group_wait: 5s
  group_interval: 30s
  repeat_interval: 4h
receivers:
  - name: operators
    email_configs:
      - to: ${quote(to)}
        send_resolved: true
        # A plain-text part beside the HTML one: what fired, where, and what to do.
        text: ${quote(MAIL_TEXT)}
`;
}

/**
 * --web.config.file of Prometheus and Alertmanager: their APIs (silences, alerts, every series)
 * ask for `operator`'s password, even on loopback, where other local users are not trusted.
 */
export function renderWebConfig(passwordHash: string): string {
  if (!/^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/.test(passwordHash)) throw new Error('expected a bcrypt hash');
  return `# Generated by twofold (deploy/src/monitoring-config.ts) at every start: edits are overwritten.
basic_auth_users:
  ${OPERATOR}: ${quote(passwordHash)}
`;
}
