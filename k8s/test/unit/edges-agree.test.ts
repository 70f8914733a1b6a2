// The manifests' edges agree with the code: the Ingresses carry the public URL's host, pass forward
// auth as /auth/verify answers it and send push to the push replicas, and the NetworkPolicies let
// the replicas (and nobody else) reach the data stores.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { PushEnvSchema } from '../../../services/push/src/config.ts';
import { type Any, envValue, forEachRendering, getRoutes, SERVICES } from '../helpers/code-agreement.ts';
import { type Peer, reachable } from '../helpers/network-policy.ts';
import { find, podSpec, repoRoot } from '../helpers/render.ts';

forEachRendering('the Ingresses and NetworkPolicies agree with the code', (render, name) => {
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
