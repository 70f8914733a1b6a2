// `twofold bans list|lift <subject>`: the brute-force locks in force, and lifting them.
// The auth service's modules are loaded when the command runs: every other `twofold` command (an
// operator's, a test's) would pay half a second for them otherwise.
import { createRedisClient } from '../../../services/common/src/redis-client.ts';
import { clusterConnections } from '../cluster-connections.ts';
import { type Command, clusterOptions, targetDataDir, targetOptionsHelp, UsageError } from './command.ts';

/** The replicas' budgets (the one table, factors/budgets.ts) at their defaults: the cluster runs with them. */
export async function defaultBudgetLimits(): Promise<Record<string, number>> {
  const defaults = (await import('../../../services/auth/src/config.ts')).EnvSchema.properties;
  const { budgetTable } = await import('../../../services/auth/src/factors/budgets.ts');
  const table = budgetTable({
    passwordFailures: defaults.TWOFOLD_MAX_PASSWORD_FAILURES.default,
    passwordFailuresPerIp: defaults.TWOFOLD_MAX_PASSWORD_FAILURES_PER_IP.default,
    registrationsPerIp: defaults.TWOFOLD_MAX_REGISTRATIONS_PER_IP.default,
    secondFactorFailures: defaults.TWOFOLD_MAX_SECOND_FACTOR_FAILURES.default,
    secondFactorFailuresLongTerm: defaults.TWOFOLD_MAX_SECOND_FACTOR_FAILURES_LONG_TERM.default,
    longTermSeconds: defaults.TWOFOLD_LONG_TERM_LOCKOUT_SECONDS.default,
    lockoutSeconds: defaults.TWOFOLD_LOCKOUT_SECONDS.default,
    emailSends: defaults.TWOFOLD_EMAIL_CODE_MAX_SENDS.default,
    emailSendWindowSeconds: defaults.TWOFOLD_EMAIL_CODE_SEND_WINDOW_SECONDS.default,
    pushPrompts: defaults.TWOFOLD_MAX_PUSH_PROMPTS.default,
    linkCodeAttempts: defaults.TWOFOLD_MAX_LINK_CODE_ATTEMPTS.default,
  });
  return Object.fromEntries(Object.entries(table).map(([scope, budget]) => [scope, budget.limit]));
}

export const bansCommand: Command = {
  name: 'bans',
  summary: 'list the brute-force locks in force, or lift those of a username, user id or IP',
  help: `Usage: twofold bans list [--json] [options]
       twofold bans lift <subject> [options]

A subject is a username (lower case), a user id (second-factor locks) or an IP address.
Lifting also clears the counters of the subject's trusted browsers.

${targetOptionsHelp}
  --json             list as JSON`,
  options: { ...clusterOptions, json: { type: 'boolean' } },
  positionals: true,

  async run(values, positionals) {
    const [action, subject] = positionals;
    if (
      !(action === 'list' && positionals.length === 1) &&
      !(action === 'lift' && subject && positionals.length === 2)
    ) {
      throw new UsageError('usage: twofold bans list | twofold bans lift <subject>');
    }
    const { liftBans, listBans } = await import('../../../services/auth/src/admin/bans.ts');
    const { redis: target } = await clusterConnections(await targetDataDir(values));
    const redis = createRedisClient({ target, name: 'twofold-bans' });
    try {
      await redis.connect();
      if (action === 'lift') {
        const lifted = await liftBans(redis, 'twofold:', subject as string);
        console.log(lifted > 0 ? `lifted ${lifted} counter(s) of ${subject}` : `no counter of ${subject}`);
        return 0;
      }
      const limits = await defaultBudgetLimits();
      const bans = await listBans(redis, 'twofold:', limits);
      if (values.json) console.log(JSON.stringify(bans));
      else if (bans.length === 0) console.log('no lock in force');
      else {
        console.log(`${'SCOPE'.padEnd(14)}${'SUBJECT'.padEnd(48)}${'ATTEMPTS'.padEnd(10)}SECONDS LEFT`);
        for (const ban of bans) {
          console.log(
            `${ban.scope.padEnd(14)}${ban.subject.padEnd(48)}${String(ban.attempts).padEnd(10)}${ban.secondsLeft}`,
          );
        }
      }
      return 0;
    } finally {
      redis.disconnect();
    }
  },
};
