// `npm run bench -- capacity [--lb URL] [--data-dir DIR] [--duration S] [--warmup S] [--users N]`:
// side by side in one run against a running cluster (`npm start`), (1) argon2id verifications per
// second on all cores (the bound for logins), (2) full logins through nginx, (3) session checks
// through nginx, closed loop and then open loop at half their peak, and (4) a bare Fastify hello
// behind the same nginx configuration (the bound for session checks), closed loop and then open loop
// at (3b)'s rate (the control for (3b)'s tail). Figures, never assertions.
import { existsSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import path from 'node:path';
import { defaultDataDir } from '../deploy/src/paths.ts';
import { AddressPool } from './capacity-addresses.ts';
import { benchArgon2Capacity, replicaHashing } from './capacity-argon2.ts';
import { exporterUrls } from './capacity-exporters.ts';
import { loginFindings, sessionFindings } from './capacity-findings.ts';
import { startHelloTarget } from './capacity-hello.ts';
import { errorKind, send } from './capacity-http.ts';
import { accessLogEnd, type LbLatency, lbLatency } from './capacity-lb-latency.ts';
import { LOGIN_TIMEOUT_MS, LoginDriver } from './capacity-login.ts';
import { closedLoop, openLoop, type Timing } from './capacity-loops.ts';
import { type CapacityOptions, parseCapacityOptions, poolSizeFor } from './capacity-options.ts';
import { type Measured, measured } from './capacity-phase.ts';
import {
  clusterGroups,
  clusterMembers,
  type Member,
  type ProcessGroup,
  rssKiB,
} from './capacity-processes.ts';
import type { PhaseResult } from './capacity-recorder.ts';
import { errorSummary, fixed, formatTable, PHASE_HEADER, phaseRow, ratioLine } from './capacity-report.ts';
import { sessionCheck } from './capacity-session-check.ts';
import { type BenchUser, UserPool } from './capacity-user-pool.ts';
import { cacheFile, enrolUsers, readCachedUsers, writeCachedUsers } from './capacity-users.ts';

/** Keycloak's published sizing: password logins per second per vCPU at a comparable hash cost. */
const KEYCLOAK_LOGINS_PER_VCPU = 15;

const redisMasterPort = (members: Member[]) =>
  members.find((m) => m.kind === 'redis' && m.role === 'master')?.port;

const mib = (kib: number | undefined) => (kib === undefined ? '-' : (kib / 1024).toFixed(0));

/** The cached accounts if the cluster still knows them (one password step of the first), else none. */
async function stillKnown(lb: string, users: BenchUser[]): Promise<boolean> {
  const [first] = users;
  if (!first) return false;
  const agents = new AddressPool(204, 1);
  try {
    const reply = await send({
      method: 'POST',
      url: new URL('/api/v1/login', lb),
      agent: agents.at(0),
      body: { username: first.username, password: first.password },
      timeoutMs: LOGIN_TIMEOUT_MS,
    });
    if (reply.status === 200) return true;
    console.log(`  cached accounts refused (${errorKind(reply.status, reply.text)}): enrolling new ones`);
    return false;
  } finally {
    agents.close();
  }
}

async function loginPool(lb: string, wanted: number): Promise<UserPool> {
  let users = await readCachedUsers(lb);
  if (users.length > 0 && !(await stillKnown(lb, users))) users = [];
  if (users.length < wanted) {
    const started = performance.now();
    console.log(`setup: enrolling ${wanted - users.length} accounts through ${lb} (argon2-bound)`);
    users = [...users, ...(await enrolUsers(lb, wanted - users.length))];
    await writeCachedUsers(lb, users);
    console.log(
      `  done in ${((performance.now() - started) / 1000).toFixed(0)} s, cached in ${cacheFile(lb)}`,
    );
  } else console.log(`setup: ${users.length} enrolled accounts from ${cacheFile(lb)}`);
  return new UserPool(users);
}

function printPhase(result: PhaseResult): void {
  console.log(
    `  ${result.label}: ${fixed(result.ratePerSecond)}/s, p50 ${fixed(result.p50Ms)} ms, p99 ${fixed(result.p99Ms)} ms ` +
      `(${result.detail}); errors: ${errorSummary(result.errors)}`,
  );
}

interface Run {
  options: CapacityOptions;
  lb: string;
  /** The port of `lb`, to find its member (and its access log) in the cluster. */
  lbPort: number;
  members: Member[];
  auth: Member[];
  timing: Timing;
}

async function loginLevels(run: Run, pool: UserPool, groups: ProcessGroup[], replicaUrls: string[]) {
  const stores = exporterUrls(run.members, redisMasterPort(run.members));
  const addresses = new AddressPool(202, 1_024, 0, 2);
  const levels: Measured[] = [];
  const steps: string[] = [];
  let sessions: string[] = [];
  try {
    for (const concurrency of run.options.loginConcurrencies) {
      const driver = new LoginDriver(run.lb, pool, addresses);
      const level = await measured(
        groups,
        replicaUrls,
        run.timing,
        (timing) => {
          driver.recordStepsFrom(performance.now() + timing.warmupMs);
          return closedLoop(`(2) full logins x${concurrency}`, concurrency, timing, driver.login);
        },
        stores,
      );
      printPhase(level.result);
      const seconds = run.timing.durationMs / 1000;
      const password = driver.passwordStep.result('password', seconds, '');
      const totp = driver.totpStep.result('totp', seconds, '');
      steps.push(
        `  x${concurrency}: POST /api/v1/login p50 ${fixed(password.p50Ms)} ms p99 ${fixed(password.p99Ms)} ms; ` +
          `POST /api/v1/login/totp p50 ${fixed(totp.p50Ms)} ms p99 ${fixed(totp.p99Ms)} ms`,
      );
      levels.push(level);
      if (driver.sessions.length > 0) sessions = driver.sessions;
    }
  } finally {
    addresses.close();
  }
  return { levels, steps, sessions };
}

/** The access log of the load balancer measured through, when it is a member of the cluster. */
function lbAccessLog(run: Run): string | undefined {
  const lb = run.members.find((m) => m.role === 'load-balancer' && m.port === run.lbPort);
  const file = lb && path.join(run.options.dataDir, lb.name, 'logs', 'access.log');
  return file && existsSync(file) ? file : undefined;
}

/** A phase's session checks as the load balancer `log` belongs to logged them (its warm-up left out). */
async function loggedByLb(
  log: string | undefined,
  addresses: AddressPool,
  rate: number,
  timing: Timing,
  phase: () => Promise<Measured>,
): Promise<{ measured: Measured; atLb?: LbLatency }> {
  const from = log ? await accessLogEnd(log) : 0;
  const result = await phase();
  if (!log) return { measured: result };
  const warmup = Math.round((rate * timing.warmupMs) / 1000);
  return { measured: result, atLb: await lbLatency(log, from, `127.${addresses.second}.`, warmup) };
}

function printLbLatency(label: string, atLb: LbLatency | undefined, lb: string): void {
  console.log(
    atLb
      ? `  ${label} as the load balancer logged them ($request_time): p50 ${fixed(atLb.p50Ms)} ms, ` +
          `p99 ${fixed(atLb.p99Ms)} ms, max ${fixed(atLb.maxMs)} ms over ${atLb.count} checks`
      : `  ${label} as the load balancer logged them: no access log of ${lb} found`,
  );
}

async function sessionPhases(run: Run, sessions: string[], groups: ProcessGroup[], replicaUrls: string[]) {
  const stores = exporterUrls(run.members, redisMasterPort(run.members));
  const addresses = new AddressPool(203, run.options.sessionConcurrency, 0, 4);
  try {
    const check = sessionCheck(run.lb, sessions, addresses);
    const peak = await measured(
      groups,
      replicaUrls,
      run.timing,
      (timing) => closedLoop('(3) session checks', run.options.sessionConcurrency, timing, check),
      stores,
    );
    printPhase(peak.result);
    const halfRate = Math.max(1, peak.result.ratePerSecond / 2);
    const half = await loggedByLb(lbAccessLog(run), addresses, halfRate, run.timing, () =>
      measured(groups, replicaUrls, run.timing, (timing) =>
        openLoop('(3b) session checks at half of (3)', halfRate, timing, check),
      ),
    );
    printPhase(half.measured.result);
    printLbLatency('(3b)', half.atLb, `${run.lb} under ${run.options.dataDir}`);
    return { peak, half: half.measured, halfAtLb: half.atLb, halfRate };
  } finally {
    addresses.close();
  }
}

/**
 * (4), and (4b): the bare hello in an open loop at (3b)'s rate, the control for (3b)'s tail. What
 * the hello's p99 is at the same rate on the same machine, no service can do better than.
 */
async function helloPhases(run: Run, sessions: string[], halfRate: number) {
  const replicas = Math.max(1, run.auth.length);
  const hello = await startHelloTarget(replicas);
  const addresses = new AddressPool(205, run.options.sessionConcurrency, 0, 4);
  try {
    console.log(`  ${replicas} hello processes behind nginx at ${hello.url} (nginx/twofold.conf.template)`);
    const groups: ProcessGroup[] = [
      { name: 'bench client (this process)', roots: [process.pid], withDescendants: false },
      { name: 'load balancer (nginx, same template)', roots: [hello.nginxPid], withDescendants: true },
      { name: `bare Fastify hello x${replicas}`, roots: hello.helloPids, withDescendants: true },
    ];
    const check = sessionCheck(hello.url, sessions, addresses);
    const peak = await measured(groups, [], run.timing, (timing) =>
      closedLoop('(4) bare hello behind the same nginx', run.options.sessionConcurrency, timing, check),
    );
    printPhase(peak.result);
    const half = await loggedByLb(hello.accessLog, addresses, halfRate, run.timing, () =>
      measured(groups, [], run.timing, (timing) =>
        openLoop('(4b) bare hello at the rate of (3b)', halfRate, timing, check),
      ),
    );
    printPhase(half.measured.result);
    printLbLatency('(4b)', half.atLb, hello.url);
    return { peak, half: half.measured, halfAtLb: half.atLb };
  } finally {
    addresses.close();
    await hello.stop();
  }
}

export async function benchCapacity(args: string[]): Promise<void> {
  const options = parseCapacityOptions(args, defaultDataDir);
  let members: Member[];
  try {
    members = await clusterMembers(options.dataDir);
  } catch (error) {
    console.log(
      `no cluster answers from ${options.dataDir} (start one with \`npm start\`, or pass --data-dir):`,
    );
    console.log(`  ${(error as Error).message.split('\n').slice(0, 3).join(' ')}`);
    process.exitCode = 1;
    return;
  }
  const auth = members.filter((m) => m.kind === 'auth' && m.pid !== null);
  const lbA = members.find((m) => m.name === 'lb-a');
  const lb = options.lb ?? `http://127.0.0.1:${lbA?.port ?? 8080}`;
  const lbPort = Number(new URL(lb).port || 80);
  const timing: Timing = { warmupMs: options.warmupMs, durationMs: options.durationMs };
  const run: Run = { options, lb, lbPort, members, auth, timing };
  const replicaUrls = auth.map((m) => `http://127.0.0.1:${m.port}/`);
  const hashing = replicaHashing(auth[0]?.pid ?? undefined);
  console.log(
    `capacity of the cluster in ${options.dataDir} through ${lb}: ${auth.length} auth replicas, ` +
      `${availableParallelism()} cores, load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} at the start; ` +
      `each phase ${options.warmupMs / 1000} s warm-up (not recorded) + ${options.durationMs / 1000} s`,
  );
  console.log(
    `argon2id parameters from ${hashing.source}: m=${hashing.params.memoryKiB} KiB t=${hashing.params.timeCost} ` +
      `p=${hashing.params.parallelism}; the replicas' libuv pool: ${hashing.threadPool} threads each`,
  );
  const rssBefore = new Map(auth.map((m) => [m.name, rssKiB(m.pid as number)]));
  console.log('\nphases:');
  const argon2 = await benchArgon2Capacity(hashing.params, timing);
  printPhase(argon2.phase);
  const pool = await loginPool(lb, options.users ?? poolSizeFor(argon2.phase.ratePerSecond));
  const groups = clusterGroups(members, lbPort);
  let logins: Awaited<ReturnType<typeof loginLevels>>;
  try {
    logins = await loginLevels(run, pool, groups, replicaUrls);
  } finally {
    await writeCachedUsers(lb, pool.all());
  }
  const sessions = await sessionPhases(run, logins.sessions, groups, replicaUrls);
  const hello = await helloPhases(run, logins.sessions, sessions.halfRate);
  const rssAfter = new Map(auth.map((m) => [m.name, rssKiB(m.pid as number)]));

  const best = logins.levels.reduce((a, b) => (b.result.ratePerSecond > a.result.ratePerSecond ? b : a));
  console.log('\nresults:');
  console.log(
    formatTable(PHASE_HEADER, [
      phaseRow(argon2.phase),
      ...logins.levels.map((level) => phaseRow(level.result)),
      phaseRow(sessions.peak.result),
      phaseRow(sessions.half.result),
      phaseRow(hello.peak.result),
      phaseRow(hello.half.result),
    ]),
  );
  console.log('');
  console.log(
    ratioLine(
      `(2)/(1) best logins (${best.result.detail}) / argon2 verifications`,
      best.result.ratePerSecond,
      argon2.phase.ratePerSecond,
      '>= 0.9',
    ),
  );
  console.log(
    ratioLine(
      '(3)/(4) session checks / bare hello',
      sessions.peak.result.ratePerSecond,
      hello.peak.result.ratePerSecond,
      '>= 0.5',
    ),
  );
  const atLb = (latency: LbLatency | undefined) => (latency ? `${fixed(latency.p99Ms)} ms` : '-');
  console.log(
    `session-check p99 at half of the peak (${fixed(sessions.half.result.ratePerSecond)}/s, open loop), ` +
      `target < 10 ms: ${fixed(sessions.half.result.p99Ms)} ms at the client, ${atLb(sessions.halfAtLb)} at the load balancer; ` +
      `the bare hello at that rate: ${fixed(hello.half.result.p99Ms)} ms at the client, ${atLb(hello.halfAtLb)} at its load balancer`,
  );
  console.log(
    `logins per core: ${fixed(best.result.ratePerSecond / availableParallelism())}/s ` +
      `(Keycloak's sizing: ${KEYCLOAK_LOGINS_PER_VCPU} per vCPU; bound here ${fixed(argon2.phase.ratePerSecond / availableParallelism())})`,
  );
  console.log(`\nauth replicas' RSS (MiB), before -> after:`);
  for (const m of auth)
    console.log(`  ${m.name} (pid ${m.pid}): ${mib(rssBefore.get(m.name))} -> ${mib(rssAfter.get(m.name))}`);
  console.log('\nlogin steps (latency of each request of a completed login):');
  for (const line of logins.steps) console.log(line);
  console.log(
    `\nwhere the CPU went (recorded windows only; argon2 CPU per verification in (1): ${fixed(argon2.cpuMsPerVerify)} ms):`,
  );
  for (const line of loginFindings(logins.levels, argon2)) console.log(line);
  for (const line of sessionFindings(sessions.peak, hello.peak)) console.log(line);
  const failed = [
    argon2.phase,
    ...logins.levels.map((l) => l.result),
    sessions.peak.result,
    sessions.half.result,
    hello.peak.result,
    hello.half.result,
  ]
    .filter((r) => r.errors.size > 0)
    .map((r) => `  ${r.label}: ${errorSummary(r.errors)}`);
  console.log(`\nerrors by kind: ${failed.length === 0 ? 'none' : `\n${failed.join('\n')}`}`);
}
