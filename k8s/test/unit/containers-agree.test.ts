// The manifests' Twofold containers agree with the code: the variables set on each are ones its
// service's schema reads (or `<NAME>_FILE` for one), every variable the schema requires is set, every
// _FILE points into a mounted Secret key, probes and ports are the routes and the port the service
// has, argon2 follows the CPU limit, and the drain fits in the grace period.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import {
  type Any,
  envValue,
  forEachRendering,
  getRoutes,
  twofoldContainers,
} from '../helpers/code-agreement.ts';
import { find, podSpec, repoRoot } from '../helpers/render.ts';

forEachRendering('the Twofold containers agree with the code', (render) => {
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
        'TWOFOLD_DATABASE_STANDBY_URL',
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
        const mount = (container.volumeMounts ?? []).find((m: Any) => e.value.startsWith(`${m.mountPath}/`));
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
      assert.equal(envValue(container, 'TWOFOLD_PORT'), String(port.containerPort), `${where}: TWOFOLD_PORT`);
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
        (o) => o.kind === 'HorizontalPodAutoscaler' && o.spec.scaleTargetRef.name === workload.metadata.name,
      );
      assert.ok(hpa && hpa.spec.minReplicas >= 2, `${where}: HPA`);
      assert.equal(hpa.spec.metrics[0].resource.name, 'cpu', where);
    }
  });
});
