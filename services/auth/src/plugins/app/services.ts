import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter } from 'prom-client';
import type { Database } from '../../../../common/src/database.ts';
import { SecretBox } from '../../../../common/src/secret-box.ts';
import type { AuthConfig } from '../../config.ts';
import { budgetSettingsOf, budgetTable } from '../../factors/budgets.ts';
import { ApplicationDirectory } from '../../lib/application-directory.ts';
import { ChallengeWaiters } from '../../lib/challenge-waiters.ts';
import { watchKeyRing } from '../../lib/key-ring-watch.ts';
import { LoginChallenges } from '../../lib/login-challenges.ts';
import { lockoutScopeLabel } from '../../lib/login-metrics.ts';
import { Pairings } from '../../lib/pairings.ts';
import { createMeasuredPasswordHasher } from '../../lib/password-hash-metrics.ts';
import type { PasswordHasher } from '../../lib/passwords.ts';
import { PhoneChannel } from '../../lib/phone-channel.ts';
import { PushChallenges } from '../../lib/push-challenges.ts';
import { Regulator } from '../../lib/regulator.ts';
import { TrustedBrowsers } from '../../lib/trusted-browsers.ts';
import { WebAuthn } from '../../lib/webauthn.ts';
import { WebAuthnChallenges } from '../../lib/webauthn-challenges.ts';
import { ApplicationsRepository } from '../../repositories/applications.ts';
import { DevicesRepository } from '../../repositories/devices.ts';
import { FactorFactsRepository } from '../../repositories/factor-facts.ts';
import { GroupsRepository } from '../../repositories/groups.ts';
import { OneTimeCodesRepository } from '../../repositories/one-time-codes.ts';
import { RecoveryCodesRepository } from '../../repositories/recovery-codes.ts';
import { TotpRepository } from '../../repositories/totp.ts';
import { UsersRepository } from '../../repositories/users.ts';
import { WebAuthnCredentialsRepository } from '../../repositories/webauthn-credentials.ts';

declare module 'fastify' {
  interface FastifyInstance {
    config: AuthConfig;
    users: UsersRepository;
    totp: TotpRepository;
    recoveryCodes: RecoveryCodesRepository;
    oneTimeCodes: OneTimeCodesRepository;
    passwords: PasswordHasher;
    secretBox: SecretBox;
    regulator: Regulator;
    trustedBrowsers: TrustedBrowsers;
    loginChallenges: LoginChallenges;
    devices: DevicesRepository;
    pairings: Pairings;
    pushChallenges: PushChallenges;
    challengeWaiters: ChallengeWaiters;
    phoneChannel: PhoneChannel;
    applications: ApplicationsRepository;
    groups: GroupsRepository;
    /** Applications by host and users' groups, cached for /auth/verify. */
    applicationDirectory: ApplicationDirectory;
    factorFacts: FactorFactsRepository;
    webauthnCredentials: WebAuthnCredentialsRepository;
    /** Security keys and passkeys; undefined when no origin is configured (TWOFOLD_PUBLIC_URL). */
    webauthn: WebAuthn | undefined;
  }
}

/** Repositories (all SQL) and libraries (all logic), as typed decorators the routes use. */
export default fp(
  async function services(app: FastifyInstance, { config }: { config: AuthConfig }) {
    app.decorate('config', config);
    app.decorate('users', new UsersRepository(app.db));
    app.decorate('totp', new TotpRepository(app.db));
    app.decorate('recoveryCodes', new RecoveryCodesRepository(app.db));
    app.decorate('oneTimeCodes', new OneTimeCodesRepository(app.db));
    const { registry, lockouts } = app.metrics;
    app.decorate(
      'passwords',
      createMeasuredPasswordHasher(
        config.argon2,
        config.argon2MaxPending,
        registry,
        config.argon2Concurrency,
      ),
    );
    const secretBox = new SecretBox(config.encryptionKeys);
    app.decorate('secretBox', secretBox);
    if (config.encryptionKeysFile) {
      const stop = watchKeyRing(config.encryptionKeysFile, secretBox, app.log);
      app.addHook('onClose', async () => stop());
    }
    app.decorate(
      'regulator',
      new Regulator(
        app.redis,
        `${config.redisKeyPrefix}attempts:`,
        budgetTable(budgetSettingsOf(config)),
        (scope) => lockouts.inc({ scope: lockoutScopeLabel(scope) }),
      ),
    );
    app.decorate('trustedBrowsers', new TrustedBrowsers(app.redis, config.redisKeyPrefix));
    app.decorate(
      'loginChallenges',
      new LoginChallenges(app.redis, config.redisKeyPrefix, config.sessionSecret, config.loginChallenge),
    );
    app.decorate('devices', new DevicesRepository(app.db));
    const applications = new ApplicationsRepository(app.db);
    const groups = new GroupsRepository(app.db);
    app.decorate('applications', applications);
    app.decorate('groups', groups);
    const directorySource = (db: Database) => {
      const [hosts, members] = [new ApplicationsRepository(db), new GroupsRepository(db)];
      return {
        findByHost: (host: string) => hosts.findByHost(host),
        identityOf: (id: string) => members.identityOf(id),
      };
    };
    const standbyLookups = new Counter({
      name: 'twofold_directory_standby_lookups_total',
      help: "Forward auth's lookups asked of the PostgreSQL standby (the primary was slow), by how they ended",
      labelNames: ['result'] as const,
      registers: [registry],
    });
    app.decorate(
      'applicationDirectory',
      new ApplicationDirectory(directorySource(app.db), {
        lookupTimeoutMs: config.timeouts.dbStatementMs,
        ...(app.standbyDb ? { standby: directorySource(app.standbyDb) } : {}),
        onStandbyLookup: (result) => standbyLookups.inc({ result }),
      }),
    );
    app.decorate('factorFacts', new FactorFactsRepository(app.db));
    const webauthnCredentials = new WebAuthnCredentialsRepository(app.db);
    app.decorate('webauthnCredentials', webauthnCredentials);
    app.decorate(
      'webauthn',
      config.webauthn
        ? new WebAuthn(
            config.webauthn,
            webauthnCredentials,
            new WebAuthnChallenges(app.redis, config.redisKeyPrefix),
          )
        : undefined,
    );
    app.decorate('pairings', new Pairings(app.redis, config.redisKeyPrefix));
    const decided = `${config.redisKeyPrefix}push:decided`;
    const { redisKeyPrefix: prefix, redisWaitReplicas: waitReplicas } = config;
    app.decorate('pushChallenges', new PushChallenges(app.redis, prefix, waitReplicas, decided));
    const waiters = new ChallengeWaiters(app.redisSubscriber, decided);
    await waiters.start((error) =>
      app.log.warn({ err: error }, 'push decisions not subscribed again; retried at the next connect'),
    );
    app.decorate('challengeWaiters', waiters);
    app.decorate(
      'phoneChannel',
      new PhoneChannel(app.redis, config.redisKeyPrefix, config.redisWaitReplicas, config.sessionSecret),
    );
  },
  { name: 'services', dependencies: ['postgres', 'redis', 'metrics'] },
);
