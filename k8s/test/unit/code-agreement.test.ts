// The manifests agree with the code: the variables set on each container are ones its service's
// schema reads (or `<NAME>_FILE` for one), every variable the schema requires is set, every _FILE
// points into a mounted Secret key, probes and ports are the routes and the port the service has,
// the Redis and PostgreSQL names and users are those of the data stores, the drain fits in the
// grace period, the forward auth passes what /auth/verify sends, and the NetworkPolicies let the
// replicas (and nobody else) reach the data stores.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { TObject } from '@sinclair/typebox';
import { REDIS_USERS } from '../../../deploy/src/secrets.ts';
import { SENTINEL_MASTER_NAME, SENTINEL_QUORUM } from '../../../deploy/src/sentinel-config.ts';
import { EnvSchema } from '../../../services/auth/src/config.ts';
import { parseKeyRing } from '../../../services/common/src/secret-box.ts';
import { PushEnvSchema } from '../../../services/push/src/config.ts';
import { type Peer, reachable } from '../helpers/network-policy.ts';
import {
  find,
  type K8sObject,
  podSpec,
  renderBase,
  renderLocal,
  repoRoot,
  workloads,
} from '../helpers/render.ts';

// biome-ignore lint/suspicious/noExplicitAny: rendered YAML, read field by field
type Any = any;

/** migrate-main.ts runs on import; its schema's variables are read from its source instead. */
function migrateSchemaVariables(): string[] {
  const source = readFileSync(path.join(repoRoot, 'services/auth/src/migrate-main.ts'), 'utf8');
  const schema = /const MigrateEnvSchema = Type\.Object\(\{([\s\S]*?)\}\);/.exec(source)?.[1];
  assert.ok(schema, 'MigrateEnvSchema not found in services/auth/src/migrate-main.ts');
  return [...schema.matchAll(/^\s*(TWOFOLD_[A-Z0-9_]+):/gm)].map((m) => m[1] as string);
}

interface Service {
  /** What the container runs, as the image's contract says. */
  entry: string;
  known: string[];
  /** Neither Optional nor with a default: must be set. */
  required: string[];
  /** Where the image listens by default (TWOFOLD_PORT's default), undefined for a one-shot. */
  port?: number;
  /** Where its routes are registered. */
  sources?: string;
}

function fromSchema(schema: TObject, entry: string, sources: string): Service {
  const properties = schema.properties as Record<string, { default?: unknown }>;
  return {
    entry,
    known: Object.keys(properties),
    required: (schema.required ?? []).filter((name) => properties[name]?.default === undefined),
    port: properties.TWOFOLD_PORT?.default as number,
    sources,
  };
}

const SERVICES: Record<string, Service> = {
  auth: fromSchema(EnvSchema, 'services/auth/dist/server.js', 'services/auth/src'),
  push: fromSchema(PushEnvSchema, 'services/push/dist/server.js', 'services/push/src'),
  migrate: {
    entry: 'services/auth/dist/migrate-main.js',
    known: migrateSchemaVariables(),
    required: migrateSchemaVariables(),
  },
};

/** The Twofold containers of a render: each with its service (by the command it runs). */
function twofoldContainers(objects: K8sObject[]) {
  const found: Array<{ workload: K8sObject; container: Any; service: Service; kind: string }> = [];
  for (const workload of workloads(objects)) {
    for (const container of podSpec(workload).containers) {
      const command = (container.command ?? []).join(' ');
      const kind = Object.keys(SERVICES).find((k) => command === `node ${SERVICES[k]?.entry}`);
      if (kind) found.push({ workload, container, service: SERVICES[kind] as Service, kind });
    }
  }
  return found;
}

/** GET routes registered with `.get('<path>'` under a service's sources. */
function getRoutes(dir: string): Set<string> {
  const routes = new Set<string>();
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const file = path.join(folder, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.name.endsWith('.ts'))
        for (const m of readFileSync(file, 'utf8').matchAll(/\.get\(\s*'([^']+)'/g))
          routes.add(m[1] as string);
    }
  };
  walk(path.join(repoRoot, dir));
  return routes;
}

const envValue = (container: Any, name: string) => container.env?.find((e: Any) => e.name === name)?.value;
const decode = (secret: K8sObject, key: string) =>
  Buffer.from(String(secret.data?.[key] ?? '').replace(/\s+/g, ''), 'base64')
    .toString('utf8')
    .trim();

for (const [name, render] of [
  ['k8s/base', renderBase],
  ['k8s/overlays/local', renderLocal],
] as const) {
  describe(`${name} agrees with the code`, () => {
    test('auth, push and the migration run the images entry points, each once or more', async () => {
      const kinds = twofoldContainers(await render()).map((c) => c.kind);
      assert.deepEqual([...new Set(kinds)].sort(), ['auth', 'migrate', 'push']);
    });

    test('every variable set is one the service reads; every required one is set', async () => {
      for (const { workload, container, service } of twofoldContainers(await render())) {
        const where = `${workload.metadata.name}/${container.name}`;
        const names: string[] = (container.env ?? []).map((e: Any) => e.name);
        assert.equal(new Set(names).size, names.length, `${where}: a variable set twice`);
        assert.equal(container.envFrom, undefined, `${where}: envFrom hides which variables are set`);
        for (const variable of names) {
          const base = variable.replace(/_FILE$/, '');
          assert.ok(service.known.includes(base), `${where}: ${variable} is not a setting of the service`);
          assert.ok(
            !(names.includes(base) && names.includes(`${base}_FILE`)),
            `${where}: ${base} and ${base}_FILE`,
          );
        }
        for (const variable of service.required)
          assert.ok(
            names.includes(variable) || names.includes(`${variable}_FILE`),
            `${where}: ${variable} is required and not set`,
          );
        // Secrets come from files, never from values in the environment.
        for (const e of container.env ?? [])
          assert.ok(!e.valueFrom?.secretKeyRef, `${where}: ${e.name} takes a secret into the environment`);
        for (const secret of [
          'TWOFOLD_DATABASE_URL',
          'TWOFOLD_SESSION_SECRET',
          'TWOFOLD_ENCRYPTION_KEYS',
          'TWOFOLD_REDIS_PASSWORD',
          'TWOFOLD_REDIS_SENTINEL_PASSWORD',
          'TWOFOLD_PROMETHEUS_PASSWORD',
        ])
          assert.ok(!names.includes(secret), `${where}: ${secret} as a value; use ${secret}_FILE`);
      }
    });

    test('every _FILE is a key of a Secret mounted as a directory', async () => {
      const objects = await render();
      const secrets = objects.filter((o) => o.kind === 'Secret');
      for (const { workload, container } of twofoldContainers(objects)) {
        const spec = podSpec(workload);
        for (const e of (container.env ?? []).filter((x: Any) => x.name.endsWith('_FILE'))) {
          const where = `${workload.metadata.name}/${container.name} ${e.name}`;
          const mount = (container.volumeMounts ?? []).find((m: Any) =>
            e.value.startsWith(`${m.mountPath}/`),
          );
          assert.ok(mount, `${where}: ${e.value} is in no mounted volume`);
          // subPath mounts are never updated by the kubelet: the key ring would not follow the Secret.
          assert.equal(mount.subPath, undefined, `${where}: mounted with subPath`);
          const volume = spec.volumes.find((v: Any) => v.name === mount.name);
          assert.ok(volume?.secret, `${where}: volume ${mount.name} is not a Secret`);
          const file = e.value.slice(mount.mountPath.length + 1);
          const items = volume.secret.items as Array<{ key: string; path: string }> | undefined;
          const key = items ? items.find((item) => item.path === file)?.key : file;
          assert.ok(key, `${where}: no item of Secret ${volume.secret.secretName} is at ${file}`);
          if (secrets.length > 0) {
            const secret = find(objects, 'Secret', volume.secret.secretName);
            assert.ok(
              secret.data?.[key] !== undefined,
              `${where}: Secret ${secret.metadata.name} has no key ${key}`,
            );
          }
        }
      }
    });

    test('probes ask /healthz and /readyz, routes the service has, on the port it listens on', async () => {
      const objects = await render();
      for (const { workload, container, service, kind } of twofoldContainers(objects)) {
        if (!service.port) continue; // the migration Job serves nothing
        const where = `${workload.metadata.name}/${container.name}`;
        const routes = getRoutes(service.sources as string);
        const ports = container.ports ?? [];
        assert.equal(ports.length, 1, where);
        const [port] = ports;
        assert.equal(
          port.containerPort,
          service.port,
          `${where}: the image's ${kind} listens on ${service.port}`,
        );
        assert.equal(
          envValue(container, 'TWOFOLD_PORT'),
          String(port.containerPort),
          `${where}: TWOFOLD_PORT`,
        );
        assert.equal(envValue(container, 'TWOFOLD_HOST'), '0.0.0.0', `${where}: must listen beyond loopback`);
        for (const [probe, path] of [
          ['readinessProbe', '/readyz'],
          ['livenessProbe', '/healthz'],
          ['startupProbe', '/healthz'],
        ] as const) {
          const get = container[probe]?.httpGet;
          assert.equal(get?.path, path, `${where}: ${probe}`);
          assert.ok(routes.has(path), `${where}: the service registers no GET ${path}`);
          assert.ok(
            get.port === port.name || get.port === port.containerPort,
            `${where}: ${probe} port ${get.port}`,
          );
        }
        assert.ok(routes.has('/metrics'), `${where}: no GET /metrics`);
        // The Service in front of it reaches that port.
        const serviceObject = find(objects, 'Service', workload.metadata.name);
        const target = serviceObject.spec.ports[0].targetPort;
        assert.ok(
          target === port.name || target === port.containerPort,
          `${where}: Service targetPort ${target}`,
        );
        for (const [k, v] of Object.entries(serviceObject.spec.selector))
          assert.equal(workload.spec.template.metadata.labels[k], v, `${where}: Service selector ${k}`);
      }
    });

    test('Redis through the Sentinels, with the users the data stores have', async () => {
      const objects = await render();
      const sentinels = find(objects, 'StatefulSet', 'twofold-sentinel');
      const expected = Array.from(
        { length: sentinels.spec.replicas },
        (_, i) => `twofold-sentinel-${i}.${sentinels.spec.serviceName}:26379`,
      ).join(',');
      assert.ok(sentinels.spec.replicas >= 3 && SENTINEL_QUORUM === 2, 'three Sentinels, quorum 2');
      for (const { workload, container, kind } of twofoldContainers(objects)) {
        if (kind === 'migrate') continue;
        const where = `${workload.metadata.name}/${container.name}`;
        assert.equal(envValue(container, 'TWOFOLD_REDIS_SENTINELS'), expected, where);
        assert.equal(envValue(container, 'TWOFOLD_REDIS_MASTER_NAME'), SENTINEL_MASTER_NAME, where);
        assert.equal(envValue(container, 'TWOFOLD_REDIS_USERNAME'), kind, `${where}: its own ACL user`);
        assert.ok((REDIS_USERS as readonly string[]).includes(kind), where);
        assert.equal(envValue(container, 'TWOFOLD_REDIS_SENTINEL_USERNAME'), 'client', where);
        assert.equal(
          envValue(container, 'TWOFOLD_REDIS_WAIT_REPLICAS'),
          '1',
          `${where}: WAIT for the replica`,
        );
        assert.equal(
          envValue(container, 'TWOFOLD_REDIS_URL'),
          undefined,
          `${where}: Sentinels, not one Redis`,
        );
      }
      for (const member of ['twofold-redis', 'twofold-sentinel']) {
        const container = podSpec(find(objects, 'StatefulSet', member)).containers[0];
        assert.equal(envValue(container, 'SENTINELS'), expected, `${member}: SENTINELS`);
      }
      const headless = find(objects, 'Service', 'twofold-sentinel');
      assert.equal(headless.spec.clusterIP, 'None');
      assert.equal(headless.spec.publishNotReadyAddresses, true);
    });

    test('PostgreSQL through CloudNativePG: the -rw Service, the owner and the push role', async () => {
      const objects = await render();
      const cluster = find(objects, 'Cluster', 'twofold-pg');
      const roles = cluster.spec.managed.roles.map((r: Any) => r.name);
      assert.deepEqual(roles.sort(), ['twofold_monitor', 'twofold_push']);
      assert.match(
        cluster.spec.bootstrap.initdb.postInitApplicationSQL.join(';'),
        /CREATE ROLE twofold_push/,
      );
      assert.equal(cluster.spec.bootstrap.initdb.owner, 'twofold');
      assert.ok(cluster.spec.postgresql.synchronous.number >= 1, 'synchronous replicas');
      if (!objects.some((o) => o.kind === 'Secret')) return;
      // The URLs the replicas read are those roles on the read-write Service, with their passwords.
      const urls = find(objects, 'Secret', 'twofold-database-urls');
      for (const [key, role, secretName] of [
        ['auth', 'twofold', cluster.spec.bootstrap.initdb.secret.name],
        [
          'push',
          'twofold_push',
          cluster.spec.managed.roles.find((r: Any) => r.name === 'twofold_push').passwordSecret.name,
        ],
      ]) {
        const url = new URL(decode(urls, key));
        assert.equal(url.hostname, `${cluster.metadata.name}-rw`, key);
        assert.equal(url.port, '5432', key);
        assert.equal(url.pathname, `/${cluster.spec.bootstrap.initdb.database}`, key);
        assert.equal(decodeURIComponent(url.username), role, key);
        const secret = find(objects, 'Secret', secretName);
        assert.equal(secret.type, 'kubernetes.io/basic-auth');
        assert.equal(decode(secret, 'username'), role);
        assert.equal(decodeURIComponent(url.password), decode(secret, 'password'), `${key}: password`);
      }
      const ring = find(objects, 'Secret', 'twofold-auth');
      assert.ok(parseKeyRing(decode(ring, 'encryption-keys')).length >= 1);
      assert.ok(decode(ring, 'session-secret').length >= 32);
    });

    test('argon2 runs as many hashes as the CPU limit has cores', async () => {
      for (const { workload, container, kind } of twofoldContainers(await render())) {
        if (kind !== 'auth') continue;
        const concurrency = container.env.find((e: Any) => e.name === 'TWOFOLD_ARGON2_CONCURRENCY');
        assert.deepEqual(
          concurrency?.valueFrom?.resourceFieldRef,
          { containerName: container.name, resource: 'limits.cpu', divisor: '1' },
          workload.metadata.name,
        );
        assert.ok(container.resources?.limits?.cpu, 'a CPU limit to follow');
      }
    });

    test('the drain fits in the grace period; non-root, read-only, no capabilities, no token', async () => {
      const objects = await render();
      for (const { workload, container, kind } of twofoldContainers(objects)) {
        const spec = podSpec(workload);
        const where = `${workload.metadata.name}/${container.name}`;
        assert.equal(spec.automountServiceAccountToken, false, where);
        const serviceAccount = find(objects, 'ServiceAccount', spec.serviceAccountName);
        assert.equal(serviceAccount.automountServiceAccountToken, false, where);
        const context = container.securityContext;
        assert.equal(context.runAsUser, 10001, where);
        assert.equal(context.runAsNonRoot, true, where);
        assert.equal(context.readOnlyRootFilesystem, true, where);
        assert.equal(context.allowPrivilegeEscalation, false, where);
        assert.deepEqual(context.capabilities.drop, ['ALL'], where);
        assert.equal(context.seccompProfile.type, 'RuntimeDefault', where);
        if (kind === 'migrate') continue;
        const preStop = container.lifecycle?.preStop?.sleep?.seconds ?? 0;
        const drainMs = Number(envValue(container, 'TWOFOLD_DRAIN_DELAY_MS'));
        assert.ok(preStop >= 3, `${where}: preStop lets the endpoint go first`);
        assert.ok(drainMs >= 1000, `${where}: TWOFOLD_DRAIN_DELAY_MS`);
        // closeWithGrace's delay in server.ts: in-flight requests get 15 s after the listener closes.
        const serverSource = readFileSync(path.join(repoRoot, `services/${kind}/src/server.ts`), 'utf8');
        const graceMs = Number(
          /closeWithGrace\(\{ delay: ([\d_]+) \}/.exec(serverSource)?.[1]?.replace(/_/g, ''),
        );
        assert.ok(graceMs > 0, `${kind}: closeWithGrace's delay not found`);
        assert.ok(
          spec.terminationGracePeriodSeconds > preStop + (drainMs + graceMs) / 1000,
          `${where}: ${spec.terminationGracePeriodSeconds} s < preStop ${preStop} s + drain + ${graceMs / 1000} s`,
        );
        // One replica at a time away, and spread over nodes and zones.
        const budget = objects.find(
          (o) =>
            o.kind === 'PodDisruptionBudget' &&
            o.spec.selector.matchLabels['app.kubernetes.io/name'] === workload.metadata.name,
        );
        assert.ok(budget, `${where}: no PodDisruptionBudget`);
        const keys = spec.topologySpreadConstraints.map((c: Any) => c.topologyKey).sort();
        assert.deepEqual(keys, ['kubernetes.io/hostname', 'topology.kubernetes.io/zone'], where);
        const hpa = objects.find(
          (o) =>
            o.kind === 'HorizontalPodAutoscaler' && o.spec.scaleTargetRef.name === workload.metadata.name,
        );
        assert.ok(hpa && hpa.spec.minReplicas >= 2, `${where}: HPA`);
        assert.equal(hpa.spec.metrics[0].resource.name, 'cpu', where);
      }
    });

    test('the Ingresses: the public URL host, forward auth as /auth/verify answers, push to push', async () => {
      const objects = await render();
      const auth = podSpec(find(objects, 'Deployment', 'twofold-auth')).containers[0];
      const host = new URL(envValue(auth, 'TWOFOLD_PUBLIC_URL')).hostname;
      assert.equal(envValue(auth, 'TWOFOLD_COOKIE_DOMAIN'), host);
      assert.equal(new URL(envValue(auth, 'TWOFOLD_LOGIN_URL')).hostname, host);
      const ingresses = objects.filter((o) => o.kind === 'Ingress');
      const backends = new Map<string, string>();
      for (const ingress of ingresses)
        for (const rule of ingress.spec.rules)
          for (const p of rule.http.paths) {
            const service = find(objects, 'Service', p.backend.service.name);
            assert.ok(
              service.spec.ports.some((port: Any) => port.name === p.backend.service.port.name),
              `${ingress.metadata.name}: port ${p.backend.service.port.name}`,
            );
            if (rule.host === host) backends.set(p.path, p.backend.service.name);
          }
      assert.equal(backends.get('/'), 'twofold-auth');
      assert.equal(backends.get('/api/'), 'twofold-auth');
      assert.equal(backends.get('/push/'), 'twofold-push');
      const push = find(objects, 'Ingress', 'twofold-push').metadata.annotations;
      const pingSeconds = PushEnvSchema.properties.TWOFOLD_PUSH_PING_SECONDS.default as number;
      assert.ok(
        Number(push['nginx.ingress.kubernetes.io/proxy-read-timeout']) > 2 * pingSeconds,
        'WebSocket read timeout',
      );
      // The protected application (overlays/local): what /auth/verify answers, where it is.
      const protectedApps = ingresses.filter(
        (o) => o.metadata.annotations?.['nginx.ingress.kubernetes.io/auth-url'],
      );
      if (name === 'k8s/overlays/local')
        assert.ok(protectedApps.length > 0, 'no protected application example');
      const verify = readFileSync(path.join(repoRoot, 'services/auth/src/routes/ops/auth-verify.ts'), 'utf8');
      const sent = [...verify.matchAll(/\.header\('(remote-[a-z]+)'/g)].map((m) =>
        (m[1] as string).toLowerCase(),
      );
      assert.deepEqual(sent.sort(), ['remote-email', 'remote-groups', 'remote-name', 'remote-user']);
      for (const app of protectedApps) {
        const a = app.metadata.annotations;
        const url = new URL(a['nginx.ingress.kubernetes.io/auth-url']);
        assert.equal(
          url.hostname,
          `twofold-auth.${find(objects, 'Service', 'twofold-auth').metadata.namespace}.svc.cluster.local`,
        );
        assert.equal(url.port, String(SERVICES.auth?.port));
        assert.equal(url.pathname, '/auth/verify');
        assert.ok(getRoutes('services/auth/src').has('/auth/verify'));
        assert.equal(a['nginx.ingress.kubernetes.io/auth-method'], 'GET');
        assert.equal(new URL(a['nginx.ingress.kubernetes.io/auth-signin']).hostname, host);
        const passed = a['nginx.ingress.kubernetes.io/auth-response-headers'].toLowerCase().split(',');
        assert.deepEqual(passed.sort(), sent.sort());
        const [namespace, configMapName] = a['nginx.ingress.kubernetes.io/auth-proxy-set-headers'].split('/');
        assert.equal(namespace, app.metadata.namespace, 'the ConfigMap must be in the Ingress namespace');
        const headers = find(objects, 'ConfigMap', configMapName).data;
        assert.equal(headers['X-Forwarded-Host'], '$server_name');
        for (const header of ['Remote-User', 'Remote-Email', 'Remote-Name', 'Remote-Groups'])
          assert.equal(headers[header], '');
      }
    });

    test('NetworkPolicies: the replicas reach Redis and PostgreSQL, nobody else does', async () => {
      const objects = await render();
      const pod = (workload: string): Peer => ({
        namespace: 'twofold',
        labels: objects.find((o) => o.metadata.name === workload && o.spec?.template)?.spec.template.metadata
          .labels,
      });
      const auth = pod('twofold-auth');
      const push = pod('twofold-push');
      const migrate = pod('twofold-migrate');
      const redis = pod('twofold-redis');
      const sentinel = pod('twofold-sentinel');
      const postgres: Peer = {
        namespace: 'twofold',
        labels: { 'cnpg.io/cluster': 'twofold-pg', role: 'primary' },
      };
      const stranger: Peer = { namespace: 'twofold', labels: { 'app.kubernetes.io/name': 'debug-shell' } };
      const elsewhere: Peer = { namespace: 'default', labels: {} };
      const ingress: Peer = {
        namespace: 'ingress-nginx',
        labels: { 'app.kubernetes.io/name': 'ingress-nginx' },
      };
      const operator: Peer = {
        namespace: 'cnpg-system',
        labels: { 'app.kubernetes.io/name': 'cloudnative-pg' },
      };
      const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
      const can = (from: Peer, to: Peer, port: number, ports: Record<string, number> = {}) =>
        reachable(policies, from, to, port, ports);
      const http = { http: 3000 };
      for (const client of [auth, push]) {
        assert.ok(can(client, redis, 6379), 'replica → Redis');
        assert.ok(can(client, sentinel, 26379), 'replica → Sentinel');
        assert.ok(can(client, postgres, 5432), 'replica → PostgreSQL');
        assert.ok(!can(client, postgres, 8000), 'replica → the instance manager');
        assert.ok(!can(client, redis, 22), 'replica → another port');
      }
      assert.ok(can(migrate, postgres, 5432), 'migration → PostgreSQL');
      assert.ok(!can(migrate, redis, 6379), 'migration → Redis');
      for (const outsider of [stranger, elsewhere, ingress]) {
        assert.ok(!can(outsider, redis, 6379), 'an outsider → Redis');
        assert.ok(!can(outsider, sentinel, 26379), 'an outsider → Sentinel');
        assert.ok(!can(outsider, postgres, 5432), 'an outsider → PostgreSQL');
      }
      assert.ok(can(ingress, auth, 3000, http), 'ingress-nginx → auth');
      assert.ok(can(ingress, push, 3100, { http: 3100 }), 'ingress-nginx → push');
      assert.ok(!can(stranger, auth, 3000, http), 'a pod of the namespace → auth');
      assert.ok(!can(elsewhere, auth, 3000, http), 'another namespace → auth');
      assert.ok(
        can(redis, sentinel, 26379) && can(sentinel, redis, 6379) && can(redis, redis, 6379),
        'Redis members',
      );
      assert.ok(can(operator, postgres, 8000), 'the CNPG operator → its instances');
      // Default deny, both ways: a pod no other policy names is reached by nobody and reaches nothing.
      const other: Peer = { namespace: 'twofold', labels: { 'app.kubernetes.io/name': 'other' } };
      assert.ok(!can(elsewhere, other, 80), 'default deny: ingress');
      assert.ok(!can(stranger, elsewhere, 443), 'default deny: egress');
      assert.ok(can(stranger, { namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } }, 53), 'DNS');
      assert.ok(can(postgres, postgres, 5432), 'replication between instances');
    });
  });
}
