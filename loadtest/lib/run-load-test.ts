// One load test from options to report: setup (users, sessions, phones), the open-loop run with
// its chaos, then report.json and report.html.
import { randomInt } from 'node:crypto';
import { resolveDefaultDataDir } from '../../deploy/src/default-data-dir.ts';
import { scenarios } from '../scenarios/index.ts';
import { loadSeed } from '../seeded-users.ts';
import { clientAddress } from './addresses.ts';
import { Chaos } from './chaos.ts';
import { type FlowContext, needsOf, pickFlow, type ReadySession, type Scenario } from './flow.ts';
import { errorKind, NotStartedError } from './flow-errors.ts';
import { closeAgents, LoadClient } from './load-client.ts';
import type { RunOptions } from './options.ts';
import { PhoneBank } from './phone-bank.ts';
import { progressLine, startProgress } from './progress.ts';
import { Recorder } from './recorder.ts';
import { defaultReportDir, type Report, summariseKills, writeReport } from './report.ts';
import { arrivalCount, runOpenLoop } from './scheduler.ts';
import { recallSpentSteps, rememberSpentSteps, seededPool, spentStepsFile } from './seeded-pool.ts';
import { signInSessions } from './sessions-setup.ts';
import { UserPool } from './user-pool.ts';
import { type EnsuredUsers, ensureUsers, rememberUse } from './user-setup.ts';

export const PUSH_BUDGET = 10; // TWOFOLD_MAX_PUSH_PROMPTS per TWOFOLD_LOCKOUT_SECONDS
export const PUSH_WINDOW_MS = 900_000;
const MAX_PHONES = 40; // nginx lets 50 push sockets in per address, and the phones share 127.0.0.1

export interface RunResult {
  report: Report;
  dir: string;
  files: { json: string; html: string };
}

const share = (scenario: Scenario, names: string[]) => {
  const total = scenario.blend.reduce((sum, b) => sum + b.weight, 0);
  return (
    scenario.blend.filter((b) => names.includes(b.flow.name)).reduce((sum, b) => sum + b.weight, 0) / total
  );
};

export function resolveScenario(options: RunOptions): Scenario {
  const base = scenarios.get(options.scenario);
  if (!base)
    throw new Error(`no scenario ${options.scenario}; there are: ${[...scenarios.keys()].join(', ')}`);
  const blend = options.phones === 0 ? base.blend.filter((b) => b.flow.name !== 'push-login') : base.blend;
  if (blend.length === 0) throw new Error(`${base.name} without push logins leaves nothing to run`);
  return { ...base, blend };
}

export async function runLoadTest(
  options: RunOptions,
  log = (line: string) => console.error(line),
): Promise<RunResult> {
  const scenario = resolveScenario(options);
  const rate = options.rate ?? scenario.defaults.rate;
  const durationS = options.durationS ?? scenario.defaults.durationS;
  const kills = options.kills ?? scenario.kills ?? [];
  const needs = needsOf(scenario);
  const [lbA, lbB = lbA] = options.lbs as [string, string?];
  const totpRate = rate * share(scenario, ['login', 'logout']);
  const pushRate = rate * share(scenario, ['push-login']);
  const wantedUsers = needs.loginUsers
    ? (options.users ??
      Math.max(10, Math.ceil(totpRate * 30 * 1.5)) + (needs.sessions ? options.sessions : 0))
    : 0;
  const wantedPhones = needs.phones
    ? (options.phones ??
      Math.min(MAX_PHONES, Math.max(2, Math.ceil(((pushRate * durationS) / PUSH_BUDGET) * 1.3))))
    : 0;

  const setupStarted = performance.now();
  let ensured: EnsuredUsers | undefined;
  let users: UserPool;
  let phoneUsers = new UserPool([]);
  let seededSpentSteps: string | undefined;
  if (options.seeded && wantedUsers > 0) {
    const dataDir = options.dataDir ?? resolveDefaultDataDir();
    const seed = await loadSeed(dataDir, options.seeded.seed);
    users = new UserPool(seededPool(seed, options.seeded.count, wantedUsers));
    seededSpentSteps = spentStepsFile(dataDir, seed.name);
    await recallSpentSteps(seededSpentSteps, users.users);
  }
  // What the run spends, kept for the next run even when this one fails in its setup.
  const rememberSpent = async () => {
    if (ensured) await rememberUse(ensured.cache, [...users.users, ...phoneUsers.users]);
    if (seededSpentSteps) await rememberSpentSteps(seededSpentSteps, users.users);
  };
  if ((!options.seeded && wantedUsers > 0) || wantedPhones > 0) {
    ensured = await ensureUsers({
      lbs: options.lbs,
      users: options.seeded ? 0 : wantedUsers,
      phoneUsers: wantedPhones,
      timeoutMs: options.timeoutMs,
      log,
    });
    phoneUsers = new UserPool(ensured.phoneUsers);
  }
  users ??= new UserPool(ensured?.users ?? []);

  const recorderRef: { current?: Recorder } = {};
  let freshIndex = 4_000_000 + randomInt(0, 8_000_000);
  const makeClient = (
    flow: string,
    address: string,
    cookies?: Map<string, string>,
    lb = lbA,
    otherLb = lbB,
  ) =>
    new LoadClient({
      baseUrl: lb,
      localAddress: address,
      timeoutMs: options.timeoutMs,
      flow,
      cookies,
      fallbackUrl: otherLb,
      recorder: recorderRef.current,
    });
  let sessions: ReadySession[] = [];
  if (needs.sessions) {
    sessions = await signInSessions(
      { users, client: (flow, address, cookies) => makeClient(flow, address, cookies) },
      options.lbs,
      options.sessions,
    ).finally(rememberSpent);
    log(`setup: ${sessions.length} signed-in session(s) for the session checks`);
  }
  const phones = wantedPhones > 0 ? await PhoneBank.connect(phoneUsers.users, options.timeoutMs) : undefined;
  if (phones) log(`setup: ${wantedPhones} phone(s) connected`);
  const setup = {
    seconds: Number(((performance.now() - setupStarted) / 1000).toFixed(1)),
    users: users.size,
    usersFrom: options.seeded
      ? `seeded ${options.seeded.seed}:${options.seeded.count}`
      : 'registered through the API (cached)',
    sessions: sessions.length,
    phones: wantedPhones,
    clientAddresses: `${users.users[0]?.address ?? clientAddress(0)}…, one per user; new users from ${clientAddress(freshIndex)} on`,
  };

  log(
    `run: ${scenario.name} at ${rate}/s for ${durationS} s (${arrivalCount(rate, durationS)} flows) through ${options.lbs.join(' and ')}`,
  );
  const startedAt = performance.now();
  const wallStart = new Date();
  const recorder = new Recorder(startedAt);
  recorderRef.current = recorder;
  const chaos = new Chaos({
    kills,
    restartAfterS: options.restartAfterS,
    dataDir: options.dataDir,
    recorder,
    pushHolder: () => phones?.busiestReplica(),
    log: (line) => log(`\n${line}`),
  });
  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
    chaos.cancelUnstarted();
  };
  process.once('SIGINT', onSigint);
  const stopProgress = options.quiet
    ? () => {}
    : startProgress(() => progressLine(recorder, (performance.now() - startedAt) / 1000, durationS, rate));
  chaos.start();
  try {
    await runOpenLoop({
      rate,
      durationS,
      maxInFlight: options.maxInFlight,
      startedAt,
      stopped: () => interrupted,
      drop: (_index, intendedAt) => recorder.flowDropped(intendedAt, 'in-flight-cap'),
      start: async (index, intendedAt) => {
        const flow = pickFlow(scenario.blend, index);
        const lb = options.lbs[index % options.lbs.length] as string;
        const otherLb = options.lbs[(index + 1) % options.lbs.length] as string;
        const ctx: FlowContext = {
          index,
          lb,
          otherLb,
          timeoutMs: options.timeoutMs,
          recorder,
          users,
          phoneUsers,
          phones,
          sessions,
          client: (name, address, cookies) => makeClient(name, address, cookies, lb, otherLb),
          freshAddress: () => clientAddress(freshIndex++),
          push: { budget: PUSH_BUDGET, windowMs: PUSH_WINDOW_MS, promptTimeoutMs: options.timeoutMs },
        };
        recorder.flowStarted(intendedAt);
        try {
          await flow.run(ctx);
          recorder.flowEnded(flow.name, intendedAt, performance.now());
        } catch (error) {
          if (error instanceof NotStartedError) recorder.flowNotStarted(intendedAt, error.reason);
          else recorder.flowEnded(flow.name, intendedAt, performance.now(), errorKind(error));
        }
      },
    });
    recorder.touch(performance.now());
    await chaos.finish();
  } finally {
    process.off('SIGINT', onSigint);
    stopProgress();
    await phones?.close();
    closeAgents();
    await rememberSpent();
  }

  const timeline = recorder.timeline();
  const overall = recorder.overall();
  const report: Report = {
    scenario: scenario.name,
    description: scenario.description,
    startedAt: wallStart.toISOString(),
    settings: {
      rate,
      durationS,
      lbs: options.lbs,
      timeoutMs: options.timeoutMs,
      maxInFlight: options.maxInFlight,
      blend: scenario.blend.map((b) => `${b.flow.name} ${b.weight}`),
      kills: kills.map((k) => `${k.member}@${k.atS}`),
      restartAfterS: options.restartAfterS,
      interrupted,
    },
    setup,
    overall: { ...overall, throughput: overall.ok / durationS },
    flows: recorder.flowFigures(),
    steps: recorder.stepFigures(),
    timeline,
    events: recorder.events,
    kills: summariseKills(chaos.records, timeline),
  };
  const dir = options.outDir ?? defaultReportDir(scenario.name, wallStart);
  const files = await writeReport(dir, report);
  return { report, dir, files };
}
