// The files of k8s/base that come from elsewhere in the repository, so that they cannot drift:
// - monitoring/prometheus-rule.yaml: the PrometheusRule, from monitoring/alerts.yml (the same rules
//   as the local Prometheus and Compose);
// - monitoring/generated/grafana-twofold.json: a copy of monitoring/grafana/twofold.json (kustomize
//   reads no file outside its directory, so the ConfigMap's file must sit inside it);
// - redis/generated/*.conf.template: redis.conf and sentinel.conf as deploy/src/redis.ts,
//   sentinel-config.ts and redis-acl.ts render them locally (the same ACL users, the same Sentinel
//   timings), with @@…@@ placeholders that redis/redis-start.sh and sentinel-start.sh fill in from
//   the mounted Secrets at every start.
// `node --import tsx k8s/render-generated.ts --write` rewrites them; k8s/test/generated.test.ts fails
// when a committed file differs from what this renders.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { renderRedisConfig } from '../deploy/src/redis.ts';
import { REDIS_USERS, type RedisSecrets, type RedisUser } from '../deploy/src/secrets.ts';
import { renderSentinelConfig } from '../deploy/src/sentinel-config.ts';

const k8sDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(k8sDir, '..');
export const baseDir = path.join(k8sDir, 'base');
export const alertsFile = path.join(repoRoot, 'monitoring', 'alerts.yml');
export const dashboardFile = path.join(repoRoot, 'monitoring', 'grafana', 'twofold.json');

/** Where the Redis members listen inside their pods. */
export const REDIS_PORT = 6379;
export const SENTINEL_PORT = 26379;
/** The replicas' key prefix (TWOFOLD_REDIS_KEY_PREFIX): what their Redis users may touch. */
export const REDIS_KEY_PREFIX = 'twofold:';

const SENTINEL_USERS = ['admin', 'client', 'monitor'] as const;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const redisPlaceholder = (user: RedisUser) => `placeholderredis${user}`;
const sentinelPlaceholder = (user: (typeof SENTINEL_USERS)[number]) => `placeholdersentinel${user}`;

/** Every placeholder password of `text` (and its ACL hash) replaced by a @@NAME@@ the start scripts fill in. */
function withPlaceholders(text: string): string {
  let out = text;
  const swap = (from: string, to: string) => {
    out = out.split(from).join(to);
  };
  for (const user of REDIS_USERS) {
    swap(`#${sha256(redisPlaceholder(user))}`, `#@@REDIS_HASH_${user}@@`);
    swap(redisPlaceholder(user), `@@REDIS_PASSWORD_${user}@@`);
  }
  for (const user of SENTINEL_USERS) {
    swap(`#${sha256(sentinelPlaceholder(user))}`, `#@@SENTINEL_HASH_${user}@@`);
    swap(sentinelPlaceholder(user), `@@SENTINEL_PASSWORD_${user}@@`);
  }
  if (/placeholder(redis|sentinel)/.test(out))
    throw new Error('a placeholder password was left in a template');
  return out;
}

const network = { bind: '0.0.0.0', masterHost: '@@MASTER_HOST@@', announceHost: '@@ANNOUNCE_HOST@@' };

function redisConfTemplate(): string {
  const passwords = Object.fromEntries(REDIS_USERS.map((user) => [user, redisPlaceholder(user)])) as Record<
    RedisUser,
    string
  >;
  const acl: RedisSecrets = {
    passwords,
    files: passwords, // unused by the renderer
    sentinelPasswords: { admin: sentinelPlaceholder('admin'), client: sentinelPlaceholder('client') },
  };
  // The replica's form: redis-start.sh drops the `replicaof` line when this member is the master.
  const config = renderRedisConfig({
    port: REDIS_PORT,
    dir: '/data',
    replicaOf: REDIS_PORT,
    acl,
    keyPrefix: REDIS_KEY_PREFIX,
    network,
  });
  return `# Rendered by k8s/render-generated.ts from deploy/src/redis.ts: do not edit. k8s/base/redis/redis-start.sh
# fills in the @@…@@ placeholders from the mounted Secrets and writes /data/redis.conf at every start.
${withPlaceholders(config)}`;
}

function sentinelConfTemplate(): string {
  const config = renderSentinelConfig({
    port: SENTINEL_PORT,
    dir: '/data',
    masterPort: REDIS_PORT,
    auth: {
      admin: sentinelPlaceholder('admin'),
      client: sentinelPlaceholder('client'),
      monitor: sentinelPlaceholder('monitor'),
      redisSentinelPassword: redisPlaceholder('sentinel'),
    },
    network,
  });
  return `# Rendered by k8s/render-generated.ts from deploy/src/sentinel-config.ts: do not edit.
# k8s/base/redis/sentinel-start.sh fills in the @@…@@ placeholders and writes /data/sentinel.conf at every start.
${withPlaceholders(config)}`;
}

/** The PrometheusRule: monitoring/alerts.yml's groups, as they are. */
function prometheusRule(): string {
  const alerts = parse(readFileSync(alertsFile, 'utf8')) as { groups: unknown[] };
  const rule = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: {
      name: 'twofold',
      labels: { 'app.kubernetes.io/name': 'twofold', 'app.kubernetes.io/component': 'monitoring' },
    },
    spec: { groups: alerts.groups },
  };
  return `# Rendered by k8s/render-generated.ts from monitoring/alerts.yml (the rules of every deployment): do not
# edit. The alerts about Patroni, etcd, HAProxy and the exporters stay silent here (no such jobs):
# docs/kubernetes.md, "Monitoring".
${stringify(rule, { lineWidth: 0 })}`;
}

/** Path (relative to k8s/base) → the text it must hold. */
export function generatedFiles(): Record<string, string> {
  return {
    'monitoring/prometheus-rule.yaml': prometheusRule(),
    'monitoring/generated/grafana-twofold.json': readFileSync(dashboardFile, 'utf8'),
    'redis/generated/redis.conf.template': redisConfTemplate(),
    'redis/generated/sentinel.conf.template': sentinelConfTemplate(),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const files = generatedFiles();
  for (const [relative, text] of Object.entries(files)) {
    const file = path.join(baseDir, relative);
    if (process.argv.includes('--write')) {
      writeFileSync(file, text);
      console.log(`wrote ${path.relative(process.cwd(), file)}`);
    } else {
      console.log(`${relative}: ${readFileSync(file, 'utf8') === text ? 'up to date' : 'stale'}`);
    }
  }
}
