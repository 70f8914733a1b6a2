// What stands between the service and its bounds, from the figures of one run: CPU per operation by
// process group, the share of a login's replica CPU that is not argon2, the replicas' own argon2
// timings, and the refusals seen. Figures only; the reader draws the conclusions.
import type { Argon2Result } from './capacity-argon2.ts';
import { perOperation } from './capacity-exporters.ts';
import type { Measured } from './capacity-phase.ts';
import { cpuLines, errorSummary, fixed } from './capacity-report.ts';

const REPLICAS = 'auth replicas';

/** Operations that completed inside the CPU window: the recorded ones plus the errors. */
function operationsIn(phase: Measured): number {
  let errors = 0;
  for (const n of phase.result.errors.values()) errors += n;
  return phase.result.ok + errors;
}

export function loginFindings(levels: Measured[], argon2: Argon2Result): string[] {
  const lines: string[] = [];
  for (const level of levels) {
    const logins = Math.max(1, level.result.ok);
    const replicaCpuMs = ((level.cpu.groups.get(REPLICAS) ?? 0) * 1000) / logins;
    const outside = replicaCpuMs - argon2.cpuMsPerVerify;
    const hashCount = level.counters.get('twofold_password_hash_duration_seconds_count') ?? 0;
    const hashSum = level.counters.get('twofold_password_hash_duration_seconds_sum') ?? 0;
    lines.push(
      `  ${level.result.detail}: ${fixed(level.result.ratePerSecond)} logins/s, errors: ${errorSummary(level.result.errors)}`,
      ...cpuLines(level.cpu, logins, 'login'),
      `    replicas' CPU per login ${fixed(replicaCpuMs)} ms = argon2 ${fixed(argon2.cpuMsPerVerify)} ms (phase 1) + ` +
        `${fixed(outside)} ms outside argon2 (${fixed((100 * outside) / replicaCpuMs, 0)}% of it)`,
      `    replicas' own argon2 timer (twofold_password_hash_duration_seconds, pool wait included): ` +
        `${hashCount} hashes, mean ${fixed((1000 * hashSum) / Math.max(1, hashCount))} ms; ` +
        `refused as busy: ${level.counters.get('twofold_password_hash_refused_total') ?? 0}`,
      `    per login: ${perOperation(level.stores, logins)}`,
    );
    if (level.scrapeErrors.length > 0) lines.push(`    /metrics not read: ${level.scrapeErrors.join('; ')}`);
  }
  return lines;
}

export function sessionFindings(cluster: Measured, hello: Measured): string[] {
  return [
    `  session checks through the cluster (${cluster.result.detail}), errors: ${errorSummary(cluster.result.errors)}`,
    ...cpuLines(cluster.cpu, operationsIn(cluster), 'check'),
    `    per check: ${perOperation(cluster.stores, operationsIn(cluster))}`,
    ...(cluster.scrapeErrors.length > 0 ? [`    not read: ${cluster.scrapeErrors.join('; ')}`] : []),
    `  the same request to the bare hello (${hello.result.detail}), errors: ${errorSummary(hello.result.errors)}`,
    ...cpuLines(hello.cpu, operationsIn(hello), 'check'),
  ];
}
