// The kustomizations render with kubectl (offline), the local overlay rewrites the images and adds
// its Secrets, and every kind of object the topology needs is there.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { find, kustomize, renderBase, renderLocal } from '../helpers/render.ts';

const images = (objects: Awaited<ReturnType<typeof renderBase>>) =>
  objects.flatMap((o) =>
    // biome-ignore lint/suspicious/noExplicitAny: rendered YAML
    (o.spec?.template?.spec?.containers ?? []).map((c: any) => `${o.metadata.name}/${c.name}=${c.image}`),
  );

describe('kustomize', () => {
  test('a missing kubectl fails and says what is missing', async () => {
    await assert.rejects(kustomize('k8s/base', '/nonexistent/kubectl'), /kubectl is not installed/);
  });

  test('k8s/base renders: the whole topology, tagged images, no Secret of its own', async () => {
    const base = await renderBase();
    const kinds = new Set(base.map((o) => o.kind));
    for (const kind of [
      'Namespace',
      'ServiceAccount',
      'Deployment',
      'StatefulSet',
      'Service',
      'Job',
      'PodDisruptionBudget',
      'HorizontalPodAutoscaler',
      'Ingress',
      'NetworkPolicy',
      'ConfigMap',
      'Cluster',
      'ServiceMonitor',
      'PrometheusRule',
    ])
      assert.ok(kinds.has(kind), `no ${kind}`);
    assert.ok(!kinds.has('Secret'), 'secrets belong to overlays, never to the base');
    // The replica counts are the HPAs' (a Deployment's own count would fight them at each apply).
    assert.equal(find(base, 'HorizontalPodAutoscaler', 'twofold-auth').spec.minReplicas, 3);
    assert.equal(find(base, 'HorizontalPodAutoscaler', 'twofold-push').spec.minReplicas, 2);
    assert.equal(find(base, 'Deployment', 'twofold-auth').spec.replicas, undefined);
    assert.equal(find(base, 'StatefulSet', 'twofold-redis').spec.replicas, 2);
    assert.equal(find(base, 'StatefulSet', 'twofold-sentinel').spec.replicas, 3);
    assert.deepEqual(images(base).sort(), [
      'twofold-auth/auth=twofold/auth:0.1.0',
      'twofold-migrate/migrate=twofold/auth:0.1.0',
      'twofold-push/push=twofold/push:0.1.0',
      'twofold-redis/redis=twofold/redis:0.1.0',
      'twofold-sentinel/sentinel=twofold/redis:0.1.0',
    ]);
    for (const o of base)
      if (o.kind !== 'Namespace') assert.equal(o.metadata.namespace, 'twofold', o.metadata.name);
  });

  test('k8s/overlays/local renders with the local images and the Secrets the base mounts', async () => {
    const local = await renderLocal();
    const ours = images(local).filter((image) => !image.startsWith('demo-app/'));
    assert.deepEqual(ours.sort(), [
      'twofold-auth/auth=localhost/twofold/auth:dev',
      'twofold-migrate/migrate=localhost/twofold/auth:dev',
      'twofold-push/push=localhost/twofold/push:dev',
      'twofold-redis/redis=localhost/twofold/redis:dev',
      'twofold-sentinel/sentinel=localhost/twofold/redis:dev',
    ]);
    const secrets = local.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name);
    assert.deepEqual(secrets.sort(), [
      'twofold-auth',
      'twofold-database-urls',
      'twofold-pg-monitor',
      'twofold-pg-push',
      'twofold-pg-twofold',
      'twofold-redis-users',
      'twofold-sentinel-users',
    ]);
    for (const o of local)
      if (o.kind !== 'Namespace') assert.equal(o.metadata.namespace, 'twofold', o.metadata.name);
    assert.equal(find(local, 'Cluster', 'twofold-pg').spec.instances, 2);
  });
});
