// The Compose deployment's members, names and ports in one place: docker-compose.yml, the configs
// rendered for it (render.ts) and its test (compose-test.ts) all follow this.

/** Every container runs as this user (the images create it); the rendered files are its own. */
export const CONTAINER_UID = 10001;

export const PORTS = {
  etcdClient: 2379,
  etcdPeer: 2380,
  postgres: 5432,
  patroniRest: 8008,
  haproxyReadWrite: 5000,
  haproxyReadOnly: 5001,
  haproxyStats: 7000,
  redis: 6379,
  sentinel: 26379,
  auth: 3000,
  push: 3100,
  lb: 8080,
  smtp: 2525,
  mailPage: 8025,
  prometheus: 9090,
  alertmanager: 9093,
} as const;

export const POSTGRES_NODES = ['pg-1', 'pg-2'] as const;
export const REDIS_NODES = ['redis-1', 'redis-2'] as const;
export const SENTINELS = ['sentinel-1', 'sentinel-2', 'sentinel-3'] as const;
export const AUTH_REPLICAS = ['auth-1', 'auth-2', 'auth-3'] as const;
export const PUSH_REPLICAS = ['push-1', 'push-2'] as const;
export const LOAD_BALANCERS = ['lb-a', 'lb-b'] as const;

/** The sentinels as the replicas' TWOFOLD_REDIS_SENTINELS names them. */
export const SENTINEL_ADDRESSES = SENTINELS.map((name) => `${name}:${PORTS.sentinel}`).join(',');
