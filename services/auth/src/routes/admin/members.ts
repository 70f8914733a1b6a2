import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { membersQuery } from '../../../../../monitoring/panels.ts';
import { ApiError } from '../../errors.ts';
import type { ActiveTarget, InstantSample, Prometheus } from './prometheus.ts';

/**
 * Whether the member itself answers, where its target is an exporter in front of it (redis_up,
 * nginx_up): the exporter's own target stays up while the member it watches is dead.
 */
const AVAILABILITY = [membersQuery.up, 'max by (member, job) (nginx_up{job="nginx"})'];
const REDIS_ROLES: Record<string, string> = { master: 'master', slave: 'replica' };

/** Prometheus says "never" with the zero time. */
const NEVER = /^0001-/;
const MAX_ERROR_LENGTH = 200;

export interface MemberRow {
  member: string;
  job: string;
  up: boolean;
  health: ActiveTarget['health'];
  role: string | null;
  lastScrape: string | null;
  lastError: string | null;
}

interface MemberFacts {
  /** `${member} ${job}` of every member some availability query says is down. */
  down: Set<string>;
  roles: Map<string, string>;
}

const key = (member: string, job: string) => `${member} ${job}`;

async function memberFacts(prometheus: Prometheus): Promise<MemberFacts> {
  // A failed query is a blank cell, not a failed table: the targets alone still say who is up. A
  // refusal for too many queries in flight (429) is no answer about the members: it is passed on.
  const ask = (expr: string) =>
    prometheus.query(expr).catch((error: unknown): InstantSample[] => {
      if (error instanceof ApiError && error.statusCode === 429) throw error;
      return [];
    });
  const [availability, leaders, redisRoles] = await Promise.all([
    Promise.all(AVAILABILITY.map(ask)).then((answers) => answers.flat()),
    ask(membersQuery.postgresLeader),
    ask(membersQuery.redisRole),
  ]);
  const down = new Set(
    availability
      .filter((s) => s.metric.member && s.metric.job && Number(s.value[1]) === 0)
      .map((s) => key(s.metric.member as string, s.metric.job as string)),
  );
  const roles = new Map<string, string>();
  for (const s of leaders) {
    if (s.metric.member) roles.set(s.metric.member, Number(s.value[1]) === 1 ? 'leader' : 'replica');
  }
  for (const s of redisRoles) {
    const role = REDIS_ROLES[s.metric.role ?? ''];
    if (s.metric.member && role) roles.set(s.metric.member, role);
  }
  return { down, roles };
}

export function memberRows(targets: ActiveTarget[], facts: MemberFacts): MemberRow[] {
  const rows = targets.map((target): MemberRow => {
    const member = target.labels.member ?? target.labels.instance ?? 'unknown';
    const job = target.labels.job ?? target.scrapePool ?? 'unknown';
    const up = target.health === 'up' && !facts.down.has(key(member, job));
    // Sentinels share the redis job (one exporter) and have no replication role: their name says it.
    const sentinel = /sentinel/i.test(member) ? 'sentinel' : null;
    return {
      member,
      job,
      up,
      health: up ? 'up' : target.health === 'unknown' ? 'unknown' : 'down',
      role: facts.roles.get(member) ?? sentinel,
      lastScrape: target.lastScrape && !NEVER.test(target.lastScrape) ? target.lastScrape : null,
      lastError: target.lastError ? target.lastError.slice(0, MAX_ERROR_LENGTH) : null,
    };
  });
  const byName = new Intl.Collator('en', { numeric: true });
  return rows.sort((a, b) => byName.compare(a.member, b.member) || byName.compare(a.job, b.job));
}

/** Every scraped member: up or down as Prometheus last saw it, with its role where it has one. */
export const opsMembers: FastifyPluginAsyncTypebox<{ prometheus: Prometheus }> = async (
  app,
  { prometheus },
) => {
  app.get('/api/v1/ops/members', async () => {
    const [targets, facts] = await Promise.all([prometheus.activeTargets(), memberFacts(prometheus)]);
    return { members: memberRows(targets, facts) };
  });
};
