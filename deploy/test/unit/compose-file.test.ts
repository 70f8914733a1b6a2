// docker-compose.yml against the code: the replicas are given only variables their schemas know, every
// required one, and every *_FILE names a file that the setup renders into the directory mounted there;
// every member that waits for its config waits for a file it is given; the topology is README's.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { TObject, TSchema } from '@sinclair/typebox';
import { parse } from 'yaml';
import { EnvSchema as AuthEnvSchema } from '../../../services/auth/src/config.ts';
import { parseTrustProxy } from '../../../services/common/src/service-env.ts';
import { PushEnvSchema } from '../../../services/push/src/config.ts';
import { renderComposeFiles } from '../../compose/render.ts';
import {
  AUTH_REPLICAS,
  LOAD_BALANCERS,
  POSTGRES_NODES,
  PUSH_REPLICAS,
  REDIS_NODES,
  SENTINELS,
} from '../../compose/topology.ts';
import { repoRoot } from '../../src/paths.ts';

interface Service {
  image?: string;
  environment?: Record<string, string>;
  volumes?: string[];
  command?: string[] | string;
}

const compose = parse(await readFile(path.join(repoRoot, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};
const password = (n: number) => `password${n}`.padEnd(24, 'x');
const files = await renderComposeFiles({
  cluster: {
    sessionSecretFile: '',
    encryptionKeysFile: '',
    databasePassword: password(1),
    pushDatabasePassword: password(2),
    redis: {
      passwords: {
        auth: password(3),
        push: password(4),
        replication: password(5),
        sentinel: password(6),
        operator: password(7),
        monitor: password(8),
      },
      files: { auth: '', push: '', replication: '', sentinel: '', operator: '', monitor: '' },
      sentinelPasswords: { admin: password(9), client: password(10) },
    },
    haproxyStatsPassword: password(11),
    monitorDatabasePassword: password(12),
    prometheusPasswordFile: '',
    prometheusPassword: password(13),
    alertmanagerPassword: password(14),
  },
  patroni: {
    superuser: password(15),
    replication: password(16),
    restApi: password(17),
    etcd: { root: password(18), patroni: password(19) },
  },
  sessionSecret: password(20).repeat(2),
  encryptionKeys: `1:${Buffer.alloc(32, 1).toString('base64')}`,
  grafanaAdmin: password(21),
});

/** The files the setup renders for the directory a service mounts at `target`, by their path there. */
function mountedFiles(service: Service): Map<string, string> {
  const found = new Map<string, string>();
  for (const volume of service.volumes ?? []) {
    const match = /^\$\{TWOFOLD_COMPOSE_STATE:-\.\/\.compose\}\/members\/([a-z0-9-]+):([^:]+)(:ro)?$/.exec(
      volume,
    );
    if (!match) continue;
    const [, member, target] = match;
    for (const file of files.filter((f) => f.member === member))
      found.set(`${target}/${file.name}`, file.content);
    // The bootstrap's mark that the database roles exist (setup.ts): written, not rendered.
    if (member === 'auth' || member === 'push') found.set(`${target}/ready`, '');
  }
  return found;
}

function checkEnvironment(name: string, service: Service, schema: TObject): void {
  const env = service.environment ?? {};
  const known = new Set(Object.keys(schema.properties));
  const given = new Set<string>();
  for (const variable of Object.keys(env)) {
    if (variable === 'TWOFOLD_WAIT_FOR') continue; // the image's entry point (deploy/images/entry.sh)
    const base = variable.replace(/_FILE$/, '');
    assert.ok(known.has(base), `${name}: ${variable} is not a setting of this service`);
    given.add(base);
  }
  const required = schema.required ?? [];
  for (const variable of required) {
    const property = schema.properties[variable] as TSchema;
    if ('default' in property) continue;
    assert.ok(given.has(variable), `${name}: the required ${variable} is not set`);
  }
  const mounted = mountedFiles(service);
  for (const [variable, value] of Object.entries(env)) {
    if (!variable.endsWith('_FILE') && variable !== 'TWOFOLD_WAIT_FOR') continue;
    assert.ok(mounted.has(value), `${name}: ${variable}=${value} is not a file the setup renders there`);
  }
}

describe('docker-compose.yml', () => {
  it('runs the topology of npm start, each member a service', () => {
    const expected = [
      'etcd',
      'haproxy',
      ...POSTGRES_NODES,
      ...REDIS_NODES,
      ...SENTINELS,
      ...AUTH_REPLICAS,
      ...PUSH_REPLICAS,
      ...LOAD_BALANCERS,
      'mail',
      'prometheus',
      'alertmanager',
      'grafana',
      'setup',
      'bootstrap',
    ].sort();
    assert.deepEqual(Object.keys(compose.services).sort(), expected);
  });

  it('gives the auth replicas only settings they know, every required one, and their files', () => {
    for (const name of AUTH_REPLICAS) {
      const service = compose.services[name] as Service;
      assert.equal(service.environment?.TWOFOLD_REPLICA_NAME, name);
      checkEnvironment(name, service, AuthEnvSchema);
    }
  });

  it("believes X-Forwarded-For from the network's members, never from its gateway (the host)", () => {
    for (const name of [...AUTH_REPLICAS, ...PUSH_REPLICAS]) {
      const setting = compose.services[name]?.environment?.TWOFOLD_TRUST_PROXY ?? '';
      const fallback = /^\$\{[A-Z_]+:-(.+)\}$/.exec(setting)?.[1] ?? setting;
      const trusted = parseTrustProxy(fallback);
      assert.ok(trusted, name);
      assert.equal(trusted('172.30.42.1', 0), false, `${name} believes the gateway`);
      for (const member of ['172.30.42.2', '172.30.42.77', '172.30.42.254'])
        assert.equal(trusted(member, 0), true, `${name} does not believe ${member}`);
      assert.equal(trusted('172.30.43.5', 0), false, `${name} believes another network`);
    }
  });

  it('gives the push replicas only settings they know, every required one, and their files', () => {
    for (const name of PUSH_REPLICAS)
      checkEnvironment(name, compose.services[name] as Service, PushEnvSchema);
  });

  it('has every data store and load balancer wait for a config the setup renders for it', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      const waitFor = service.environment?.TWOFOLD_WAIT_FOR;
      if (!waitFor) continue;
      assert.ok(mountedFiles(service).has(waitFor), `${name} waits for ${waitFor}, which nobody writes`);
    }
    for (const name of [...POSTGRES_NODES, ...REDIS_NODES, ...SENTINELS, ...LOAD_BALANCERS, 'haproxy']) {
      assert.ok(
        compose.services[name]?.environment?.TWOFOLD_WAIT_FOR,
        `${name} does not wait for its config`,
      );
    }
  });

  it('renders configs that name the members by their service names', () => {
    const nginx = files.find((f) => f.member === 'lb-a')?.content ?? '';
    for (const replica of AUTH_REPLICAS) assert.match(nginx, new RegExp(`server ${replica}:3000 `));
    for (const replica of PUSH_REPLICAS) assert.match(nginx, new RegExp(`server ${replica}:3100 `));
    assert.match(nginx, /listen 0\.0\.0\.0:8080;/);
    const haproxy = files.find((f) => f.member === 'haproxy')?.content ?? '';
    for (const node of POSTGRES_NODES) assert.match(haproxy, new RegExp(`server ${node} ${node}:5432 `));
    const sentinel = files.find((f) => f.member === 'sentinel-2')?.content ?? '';
    assert.match(sentinel, /^sentinel monitor twofold redis-1 6379 2$/m);
    assert.match(sentinel, /^sentinel announce-ip sentinel-2$/m);
    const replica = files.find((f) => f.member === 'redis-2')?.content ?? '';
    assert.match(replica, /^replicaof redis-1 6379$/m);
    const patroni = files.find((f) => f.member === 'pg-2')?.content ?? '';
    assert.match(patroni, /connect_address: pg-2:5432/);
    assert.match(patroni, /hosts: etcd:2379/);
  });
});

describe("the Compose deployment's HAProxy config", () => {
  it('passes haproxy -c before the PostgreSQL nodes resolve (they are looked up while it runs)', async () => {
    const { execFile } = await import('node:child_process');
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(path.join(tmpdir(), 'compose-haproxy-'));
    try {
      const file = path.join(dir, 'haproxy.cfg');
      await writeFile(file, files.find((f) => f.member === 'haproxy')?.content ?? '');
      const result = await new Promise<{ code: number; output: string }>((resolve) => {
        execFile('haproxy', ['-c', '-f', file], { timeout: 20_000 }, (error, stdout, stderr) =>
          resolve({
            code: error ? Number((error as { code?: number }).code ?? 1) : 0,
            output: stdout + stderr,
          }),
        );
      });
      assert.equal(result.code, 0, `haproxy -c failed (is Debian's haproxy installed?): ${result.output}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
