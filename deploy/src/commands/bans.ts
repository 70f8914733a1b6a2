// `twofold bans list|lift <subject>`: the brute-force locks in force, and lifting them.
// The auth service's modules are loaded when the command runs: every other `twofold` command (an
// operator's, a test's) would pay half a second for them otherwise.
import { createRedisClient } from '../../../services/common/src/redis-client.ts';
import { clusterConnections } from '../cluster-connections.ts';
import { type Command, clusterOptions, targetDataDir, targetOptionsHelp, UsageError } from './command.ts';

/** The replicas' default limits per scope (the cluster runs with the defaults). */
async function defaultLimits() {
  const defaults = (await import('../../../services/auth/src/config.ts')).EnvSchema.properties;
  const perScope: Record<string, number> = {
    password: defaults.TWOFOLD_MAX_PASSWORD_FAILURES.default,
    'password-ip': defaults.TWOFOLD_MAX_PASSWORD_FAILURES_PER_IP.default,
    'register-ip': defaults.TWOFOLD_MAX_REGISTRATIONS_PER_IP.default,
    'second-factor-long': defaults.TWOFOLD_MAX_SECOND_FACTOR_FAILURES_LONG_TERM.default,
    'push-prompt': defaults.TWOFOLD_MAX_PUSH_PROMPTS.default,
    'rp-verification': defaults.TWOFOLD_MAX_PUSH_PROMPTS.default,
    'link-code': defaults.TWOFOLD_MAX_LINK_CODE_ATTEMPTS.default,
  };
  return { perScope, secondFactor: defaults.TWOFOLD_MAX_SECOND_FACTOR_FAILURES.default };
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
      const limits = await defaultLimits();
      const bans = await listBans(redis, 'twofold:', limits.perScope, limits.secondFactor);
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
