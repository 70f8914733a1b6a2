// The manifests agree with the data stores: the replicas reach Redis through the Sentinels, with
// the master name, quorum and users the code gives them, and PostgreSQL through CloudNativePG's
// read-write Service, as the owner and the push role.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { REDIS_USERS } from '../../../deploy/src/secrets.ts';
import { SENTINEL_MASTER_NAME, SENTINEL_QUORUM } from '../../../deploy/src/sentinel-config.ts';
import { parseKeyRing } from '../../../services/common/src/secret-box.ts';
import {
  type Any,
  decode,
  envValue,
  forEachRendering,
  twofoldContainers,
} from '../helpers/code-agreement.ts';
import { find, podSpec } from '../helpers/render.ts';

forEachRendering('the data stores agree with the code', (render) => {
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
      assert.equal(envValue(container, 'TWOFOLD_REDIS_WAIT_REPLICAS'), '1', `${where}: WAIT for the replica`);
      assert.equal(envValue(container, 'TWOFOLD_REDIS_URL'), undefined, `${where}: Sentinels, not one Redis`);
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
    assert.match(cluster.spec.bootstrap.initdb.postInitApplicationSQL.join(';'), /CREATE ROLE twofold_push/);
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
    // Forward auth's standby: the same role and password on the read-only Service.
    const standby = new URL(decode(urls, 'auth-standby'));
    const primary = new URL(decode(urls, 'auth'));
    assert.equal(standby.hostname, `${cluster.metadata.name}-ro`);
    assert.equal(
      `${standby.username}:${standby.password}${standby.pathname}`,
      `${primary.username}:${primary.password}${primary.pathname}`,
    );
    const ring = find(objects, 'Secret', 'twofold-auth');
    assert.ok(parseKeyRing(decode(ring, 'encryption-keys')).length >= 1);
    assert.ok(decode(ring, 'session-secret').length >= 32);
  });
});
