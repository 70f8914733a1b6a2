// `npm run compose:test`: docker-compose.yml for real, with Podman. Builds the images (from base images
// made of Debian packages, since Docker Hub is out of reach here), brings the stack up, checks every
// rendered config with its own program inside its container, runs the login journey through both load
// balancers, kills an auth replica and then the PostgreSQL primary under logins, and tears it all down.
// Root only (Podman as root, with runc and cgroupfs, as scripts/bare-machine-test.sh runs it).
// Usage: node --import tsx deploy/compose/compose-test.ts [--keep]   (--keep: leave the stack running)
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HttpClient, totpCode } from '../../test/support/http-client.ts';
import { assertAtMostOneCut, journey, journeysFor } from './journeys.ts';
import { buildImages, composeOf, composeServices, podman, prepareMachine } from './podman-machine.ts';
import { AUTH_REPLICAS, LOAD_BALANCERS, POSTGRES_NODES, PUSH_REPLICAS } from './topology.ts';

// A project, state directory, network and ports of the test's own: a developer's stack in this
// checkout (project `twofold`, ./.compose, 9080...) is never touched.
const project = 'twofold-test';
const work = process.env.TWOFOLD_COMPOSE_WORK ?? '/var/tmp/twofold-compose';
const settings = {
  TWOFOLD_COMPOSE_STATE: `${work}/state`,
  TWOFOLD_COMPOSE_SUBNET: '172.30.43.0/24',
  // The network but its gateway, as docker-compose.yml's default says of 172.30.42.0/24.
  TWOFOLD_COMPOSE_TRUSTED_PROXIES: [2, 4, 8, 16, 32, 64, 128]
    .map((first) => `172.30.43.${first}/${32 - Math.log2(first)}`)
    .join(','),
  TWOFOLD_COMPOSE_PORT_A: '19080',
  TWOFOLD_COMPOSE_PORT_B: '19081',
  TWOFOLD_COMPOSE_PROMETHEUS_PORT: '19090',
  TWOFOLD_COMPOSE_MAIL_PORT: '19026',
  TWOFOLD_PUBLIC_URL: 'http://127.0.0.1:19080',
  // Every journey registers a user, all from this one address: more than the default 20 an hour.
  TWOFOLD_MAX_REGISTRATIONS_PER_IP: '500',
};
Object.assign(process.env, settings);
const state = settings.TWOFOLD_COMPOSE_STATE;
const lbA = `http://127.0.0.1:${settings.TWOFOLD_COMPOSE_PORT_A}`;
const lbB = `http://127.0.0.1:${settings.TWOFOLD_COMPOSE_PORT_B}`;
const lbs = { a: lbA, b: lbB };
const prometheusUrl = `http://127.0.0.1:${settings.TWOFOLD_COMPOSE_PROMETHEUS_PORT}`;
const started = Date.now();
const log = (line: string) =>
  console.log(`compose test [${((Date.now() - started) / 1000).toFixed(0)} s] ${line}`);

const compose = composeOf(project);
const container = (service: string) => `${project}_${service}_1`;
// podman-compose's name for the project's network, made beforehand with the test's own subnet.
const network = `${project}_default`;

async function tearDown(): Promise<void> {
  await compose(['down', '-v'], 300_000).catch((error) => log(`down: ${(error as Error).message}`));
  await rm(state, { recursive: true, force: true });
}

async function waitUntil(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<number> {
  const from = Date.now();
  let last = '';
  while (Date.now() - from < timeoutMs) {
    try {
      if (await check()) return Date.now() - from;
    } catch (error) {
      last = (error as Error).message.split('\n')[0] ?? '';
    }
    await sleep(1_000);
  }
  throw new Error(`${what}: not within ${timeoutMs / 1000} s${last ? ` (last: ${last})` : ''}`);
}

const healthy = async (service: string) =>
  podman(['healthcheck', 'run', container(service)], 15_000).then(
    () => true,
    () => false,
  );

async function patroniRole(node: string): Promise<string> {
  const out = await podman(
    [
      'exec',
      container(node),
      'python3',
      '-c',
      "import json,urllib.request;print(json.load(urllib.request.urlopen('http://127.0.0.1:8008/patroni',timeout=2))['role'])",
    ],
    15_000,
  );
  return out.trim();
}

/** Each rendered config, checked by its own program in its own container. */
const CONFIG_CHECKS: Array<[service: string, ...command: string[]]> = [
  ...LOAD_BALANCERS.map((lb): [string, ...string[]] => [
    lb,
    ...['nginx', '-t', '-p', '/var/lib/twofold/nginx', '-c', '/etc/twofold/nginx.conf', '-e', 'stderr'],
  ]),
  ['haproxy', 'haproxy', '-c', '-f', '/etc/twofold/haproxy.cfg'],
  ['prometheus', 'promtool', 'check', 'config', '/etc/twofold/prometheus.yml'],
  ['prometheus', 'promtool', 'check', 'rules', '/etc/twofold/alerts.yml'],
  ['prometheus', 'promtool', 'check', 'web-config', '/etc/twofold/web.yml'],
  ['alertmanager', 'amtool', 'check-config', '/etc/twofold/alertmanager.yml'],
];

async function checkConfigs(): Promise<void> {
  for (const [service, ...command] of CONFIG_CHECKS) await podman(['exec', container(service), ...command]);
  log(
    'nginx -t (lb-a, lb-b), haproxy -c, promtool check config/rules/web-config and amtool check-config ' +
      'pass on the rendered configs, inside their containers',
  );
}

/** Every scrape target up in Prometheus (asked as `operator`, through its published port). */
async function prometheusTargets(): Promise<{ up: number; down: string[] }> {
  const password = (await readFile(path.join(state, 'secrets/prometheus-operator.password'), 'utf8')).trim();
  const response = await fetch(`${prometheusUrl}/api/v1/targets?state=active`, {
    headers: { authorization: `Basic ${Buffer.from(`operator:${password}`).toString('base64')}` },
    signal: AbortSignal.timeout(5_000),
  });
  if (!response.ok) throw new Error(`Prometheus answered ${response.status}`);
  const body = (await response.json()) as {
    data: { activeTargets: Array<{ health: string; labels: Record<string, string> }> };
  };
  const targets = body.data.activeTargets;
  return {
    up: targets.filter((t) => t.health === 'up').length,
    down: targets.filter((t) => t.health !== 'up').map((t) => `${t.labels.member} (${t.health})`),
  };
}

async function main(): Promise<void> {
  const keep = process.argv.includes('--keep');
  await prepareMachine({
    work,
    network,
    subnet: settings.TWOFOLD_COMPOSE_SUBNET,
    log,
  });
  await tearDown();
  await buildImages(log);
  log('images built; podman-compose up -d');
  // Not the optional ones (Grafana: the official image, out of reach here); podman-compose 1.0
  // ignores `profiles`, so the others are named.
  const services = Object.entries(await composeServices())
    .filter(([, service]) => !service.profiles)
    .map(([name]) => name);
  await compose(['up', '-d', ...services], 600_000);
  const upMs = await waitUntil('every replica healthy', 300_000, async () => {
    for (const service of [...AUTH_REPLICAS, ...PUSH_REPLICAS, ...POSTGRES_NODES]) {
      if (!(await healthy(service))) throw new Error(`${service} not healthy yet`);
    }
    return true;
  });
  log(`every replica and PostgreSQL node healthy ${(upMs / 1000).toFixed(1)} s after up`);
  await checkConfigs();
  const first = await waitUntil('a first login through the load balancers', 120_000, async () => {
    await journey(lbs);
    return true;
  });
  log(`login journey through lb-a and lb-b passed (${(first / 1000).toFixed(1)} s after healthy)`);
  const before = await journey(lbs);
  let targets = { up: 0, down: [] as string[] };
  await waitUntil('every Prometheus target up', 60_000, async () => {
    targets = await prometheusTargets();
    if (targets.down.length > 0 || targets.up === 0) throw new Error(`down: ${targets.down.join(', ')}`);
    return true;
  });
  log(`Prometheus: all ${targets.up} scrape targets up`);

  log('killing auth-2 (SIGKILL) under back-to-back journeys');
  const replicaRun = journeysFor(lbs, 20_000);
  await sleep(3_000);
  await podman(['kill', '--signal', 'KILL', container('auth-2')]);
  const replicaResult = await replicaRun;
  log(
    `auth-2 killed: ${replicaResult.passed} journeys passed, ${replicaResult.failed.length} failed, ` +
      `the longest took ${(replicaResult.longestMs / 1000).toFixed(1)} s`,
  );
  assertAtMostOneCut('while a replica was down', replicaResult);
  await podman(['start', container('auth-2')]);

  const roles = await Promise.all(
    POSTGRES_NODES.map(async (node) => [node, await patroniRole(node)] as const),
  );
  const primary = roles.find(([, role]) => role === 'primary' || role === 'master')?.[0];
  if (!primary) throw new Error(`no PostgreSQL primary: ${JSON.stringify(roles)}`);
  const survivor = POSTGRES_NODES.find((node) => node !== primary) as string;
  log(`killing the PostgreSQL primary ${primary} (SIGKILL) under back-to-back journeys`);
  await podman(['kill', '--signal', 'KILL', container(primary)]);
  const [primaryResult, promotedMs] = await Promise.all([
    journeysFor(lbs, 30_000),
    waitUntil(`${survivor} promoted`, 60_000, async () =>
      ['primary', 'master'].includes(await patroniRole(survivor)),
    ),
  ]);
  log(
    `${primary} killed: ${primaryResult.passed} journeys passed, ${primaryResult.failed.length} failed, ` +
      `the longest took ${(primaryResult.longestMs / 1000).toFixed(1)} s; ${survivor} was primary ` +
      `${(promotedMs / 1000).toFixed(0)} s after the kill (polled every second)`,
  );
  if (primaryResult.failed.length > 0 || primaryResult.passed === 0)
    throw new Error(
      `journeys failed across the PostgreSQL failover: ${primaryResult.failed.slice(0, 5).join('; ')}`,
    );
  // Nothing acknowledged was lost: the user registered before the kill logs in on the new primary.
  const client = new HttpClient(lbB);
  const login = await client.post('/api/v1/login', { username: before.username, password: before.password });
  // A code of a step it has not spent yet (its journey's login spent the step after its enrolment).
  while (Math.floor(Date.now() / 30_000) <= before.lastStep) await sleep(1_000);
  const second = await client.post('/api/v1/login/totp', { code: await totpCode(before.secret) });
  if (login.status !== 200 || second.status !== 200 || second.body?.state !== 'authenticated')
    throw new Error(`the user from before the failover cannot log in: ${login.status} ${second.status}`);
  log(`${before.username}, registered before the kill, logs in after it`);
  await podman(['start', container(primary)]);
  const rejoined = await waitUntil(`${primary} back as a replica`, 120_000, async () =>
    ['replica', 'sync_standby', 'standby'].includes(await patroniRole(primary)),
  );
  log(`${primary} rejoined as a replica ${(rejoined / 1000).toFixed(1)} s after its restart`);
  const usedStep = Math.floor(Date.now() / 30_000);

  log('rotating the TOTP secrets key ring online (deploy/compose/setup.ts rotate-keys)');
  const rotation = await podman(
    [
      'run',
      '--rm',
      '--network',
      network,
      '-v',
      `${state}:/twofold`,
      `twofold/tools:${process.env.TWOFOLD_TAG ?? 'dev'}`,
      'node',
      '--import',
      'tsx',
      'deploy/compose/setup.ts',
      'rotate-keys',
    ],
    240_000,
  );
  log(`rotation: ${rotation.trim().split('\n').at(-1)}`);
  const [source, replicas] = await Promise.all(
    ['secrets/encryption-keys', 'members/auth/encryption-keys'].map((file) =>
      readFile(path.join(state, file), 'utf8'),
    ),
  );
  if (source === undefined || source !== replicas || source.split(',').length !== 1)
    throw new Error(
      "after the rotation, the generated secret and the replicas' ring differ or hold more than one key",
    );
  // The same user again, under the new key, with a code of a step it has not spent yet.
  while (Math.floor(Date.now() / 30_000) === usedStep) await sleep(1_000);
  const again = new HttpClient(lbA);
  const password = await again.post('/api/v1/login', {
    username: before.username,
    password: before.password,
  });
  const code = await again.post('/api/v1/login/totp', { code: await totpCode(before.secret) });
  if (password.status !== 200 || code.body?.state !== 'authenticated')
    throw new Error(
      `after the rotation, ${before.username} cannot log in: ${password.status} ${code.status}`,
    );
  await journey(lbs);
  log(`after the rotation, ${before.username} logs in with its re-encrypted secret, and a new user enrols`);
  log(`passed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  if (!keep) await tearDown();
}

/** The replicas' last warnings and errors (pino levels 40 and up), before the teardown takes their logs. */
async function replicaTroubles(): Promise<string> {
  const parts: string[] = [];
  for (const service of [...AUTH_REPLICAS, ...PUSH_REPLICAS]) {
    const output = await podman(['logs', '--tail', '5000', container(service)]).catch(
      (error: Error) => `${error.message}\n`,
    );
    const lines = output.split('\n').filter((line) => /"level":(40|50|60)/.test(line));
    parts.push(`${service}: ${lines.length} warnings and errors, the last ones:`, ...lines.slice(-15));
  }
  return parts.join('\n');
}

try {
  await main();
} catch (error) {
  log(`FAILED: ${(error as Error).message}`);
  const logs = await compose(['ps']).catch(() => '');
  console.error(logs);
  console.error(await replicaTroubles());
  if (!process.argv.includes('--keep')) await tearDown();
  process.exit(1);
}
