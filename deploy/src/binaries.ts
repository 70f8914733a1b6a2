// Where the Debian packages put the programs the cluster runs, and which package provides each.
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

export const pgBinDir = process.env.TWOFOLD_PG_BIN_DIR ?? '/usr/lib/postgresql/15/bin';

export interface Binary {
  name: string;
  /** Debian package that installs it. */
  debianPackage: string;
  /** Absolute paths tried before PATH (sbin is often missing from a non-root PATH). */
  candidates: string[];
}

function exporter(name: string): Binary {
  const program = `prometheus-${name}-exporter`;
  return { name: program, debianPackage: program, candidates: [`/usr/bin/${program}`] };
}

export const binaries = {
  initdb: { name: 'initdb', debianPackage: 'postgresql-15', candidates: [path.join(pgBinDir, 'initdb')] },
  postgres: {
    name: 'postgres',
    debianPackage: 'postgresql-15',
    candidates: [path.join(pgBinDir, 'postgres')],
  },
  pgRewind: {
    name: 'pg_rewind',
    debianPackage: 'postgresql-15',
    candidates: [path.join(pgBinDir, 'pg_rewind')],
  },
  redisServer: { name: 'redis-server', debianPackage: 'redis-server', candidates: ['/usr/bin/redis-server'] },
  redisSentinel: {
    name: 'redis-sentinel',
    debianPackage: 'redis-sentinel',
    candidates: ['/usr/bin/redis-sentinel'],
  },
  nginx: { name: 'nginx', debianPackage: 'nginx-light', candidates: ['/usr/sbin/nginx'] },
  // Debian's Patroni runs on the system's /usr/bin/python3 (its shebang), whatever python3 PATH finds.
  patroni: { name: 'patroni', debianPackage: 'patroni', candidates: ['/usr/bin/patroni'] },
  etcd: { name: 'etcd', debianPackage: 'etcd-server', candidates: ['/usr/bin/etcd'] },
  // Not run by the cluster, but the operator's way to look into what Patroni keeps in etcd.
  etcdctl: { name: 'etcdctl', debianPackage: 'etcd-client', candidates: ['/usr/bin/etcdctl'] },
  haproxy: { name: 'haproxy', debianPackage: 'haproxy', candidates: ['/usr/sbin/haproxy'] },
  prometheus: { name: 'prometheus', debianPackage: 'prometheus', candidates: ['/usr/bin/prometheus'] },
  alertmanager: {
    name: 'prometheus-alertmanager',
    debianPackage: 'prometheus-alertmanager',
    candidates: ['/usr/bin/prometheus-alertmanager'],
  },
  nodeExporter: exporter('node'),
  redisExporter: exporter('redis'),
  postgresExporter: exporter('postgres'),
  nginxExporter: exporter('nginx'),
} satisfies Record<string, Binary>;

/** Not run by the cluster: the browser tests drive Debian's Chromium (playwright-core downloads none). */
export const testBinaries = {
  chromium: {
    name: 'chromium',
    debianPackage: 'chromium',
    candidates: [process.env.TWOFOLD_CHROMIUM ?? '/usr/bin/chromium'],
  },
  // The alert rules' unit tests (monitoring/alerts.test.yml); from the same package as Prometheus.
  promtool: { name: 'promtool', debianPackage: 'prometheus', candidates: ['/usr/bin/promtool'] },
} satisfies Record<string, Binary>;

const isExecutable = (file: string): boolean => {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** Absolute path of the binary, or undefined when it is not installed. */
export function findBinary(binary: Binary): string | undefined {
  const pathDirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  const onPath = binary.candidates[0]?.startsWith(pgBinDir)
    ? []
    : pathDirs.map((dir) => path.join(dir, binary.name));
  return [...binary.candidates, ...onPath].find(isExecutable);
}

/** Like findBinary, but throws a message naming the package to install. */
export function requireBinary(binary: Binary): string {
  const found = findBinary(binary);
  if (!found) {
    throw new Error(
      `${binary.name} is not installed (Debian package ${binary.debianPackage}); run \`twofold up\` as root to install it`,
    );
  }
  return found;
}
