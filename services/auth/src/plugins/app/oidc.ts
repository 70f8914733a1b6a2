import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter } from 'prom-client';
import type { AuthConfig } from '../../config.ts';
import { SessionRecordSigner } from '../../lib/session-store.ts';
import { clientMetadataOf } from '../../oidc/clients.ts';
import { buildProvider } from '../../oidc/provider.ts';
import { OidcService } from '../../oidc/service.ts';
import { twofoldOf } from '../../oidc/sign-in.ts';
import { OidcArtifactsRepository } from '../../repositories/oidc-artifacts.ts';
import { OidcClientsRepository } from '../../repositories/oidc-clients.ts';
import { OidcSigningKeysRepository } from '../../repositories/oidc-signing-keys.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The OpenID Connect provider; undefined when no issuer is configured (TWOFOLD_PUBLIC_URL). */
    oidc: OidcService | undefined;
    oidcArtifacts: OidcArtifactsRepository;
  }
}

/** The OpenID Connect provider (oidc-provider), its storage and its signing keys; mounted by routes/oidc. */
export default fp(
  async function oidc(app: FastifyInstance, { config }: { config: AuthConfig }) {
    const artifacts = new OidcArtifactsRepository(app.db);
    app.decorate('oidcArtifacts', artifacts);
    if (!config.oidc) {
      app.decorate('oidc', undefined);
      return;
    }
    const clients = new OidcClientsRepository(app.db);
    const audited = new Counter({
      name: 'twofold_oidc_events_total',
      help: 'OpenID Connect codes issued, token requests, revocations and logouts, by outcome',
      labelNames: ['step', 'result'] as const,
      registers: [app.metrics.registry],
    });
    const redis = {
      redis: app.redis,
      prefix: `${config.redisKeyPrefix}oidc:`,
      signer: new SessionRecordSigner(`${config.sessionSecret}\noidc artefacts`),
      replication: app.sessionStore.replication,
    };
    const issuer = config.oidc.issuer;
    const service = new OidcService({
      keys: new OidcSigningKeysRepository(app.db),
      artifacts,
      box: app.secretBox,
      log: app.log,
      pollMs: config.oidc.keyPollSeconds * 1000,
      build: (jwks) =>
        buildProvider({
          issuer,
          sessionSecret: config.sessionSecret,
          jwks,
          redis,
          artifacts,
          sessionSeconds: config.session.absoluteSeconds,
          findClient: async (clientId) => {
            const row = await clients.findById(clientId);
            return row && clientMetadataOf(row, app.secretBox, app.log);
          },
          findAccount: (id) => app.users.findById(id),
          audit: async (ctx, event) => {
            audited.inc({ step: event.step, result: event.result });
            const twofold = twofoldOf(ctx.req);
            try {
              await app.audit.record({
                userId: event.userId,
                username: null,
                step: event.step,
                result: event.result,
                ip: twofold?.ip ?? null,
                userAgent: twofold?.userAgent?.slice(0, 256) ?? null,
                requestId: twofold?.requestId ?? null,
                detail: event.detail,
              });
            } catch (error) {
              app.log.error({ err: error, audit: event }, 'audit event not recorded');
            }
          },
          log: app.log,
        }),
    });
    await service.start();
    app.addHook('onClose', async () => service.stop());
    app.decorate('oidc', service);
  },
  { name: 'oidc', dependencies: ['services', 'steps'] },
);
