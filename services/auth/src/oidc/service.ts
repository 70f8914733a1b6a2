import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import type Provider from 'oidc-provider';
import type { SecretBox } from '../../../common/src/secret-box.ts';
import type { OidcArtifactsRepository } from '../repositories/oidc-artifacts.ts';
import type { OidcSigningKeysRepository } from '../repositories/oidc-signing-keys.ts';
import { ensureSigningKeys, keyRoles, publishedKeys, type SigningJwk } from './signing-keys.ts';

export interface OidcServiceDeps {
  build(jwks: SigningJwk[]): Provider;
  keys: OidcSigningKeysRepository;
  artifacts: OidcArtifactsRepository;
  box: SecretBox;
  log: FastifyBaseLogger;
  pollMs: number;
}

const CLEANUP_EVERY_MS = 3_600_000;

/**
 * The provider of this replica. It is rebuilt (its state is all in Redis and PostgreSQL, so
 * nothing is lost) whenever the published signing keys change: a rotation by any replica or the
 * CLI, or a retired key reaching the end of its overlap.
 */
export class OidcService {
  #provider!: Provider;
  #callback!: (req: IncomingMessage, res: ServerResponse) => unknown;
  #jwks: SigningJwk[] = [];
  #fingerprint = '';
  #timer: NodeJS.Timeout | undefined;
  #lastCleanup = 0;

  constructor(private readonly deps: OidcServiceDeps) {}

  async start(): Promise<void> {
    await ensureSigningKeys(this.deps.keys, this.deps.box);
    await this.reload();
    this.#timer = setInterval(() => {
      this.tick().catch((error) =>
        this.deps.log.warn({ err: error }, 'OIDC keys not reloaded; retried soon'),
      );
    }, this.deps.pollMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  get provider(): Provider {
    return this.#provider;
  }

  /** Kids this replica signs with and publishes, for /readyz (rotation waits for every replica). */
  get keys(): { signing: string[]; published: string[] } {
    return keyRoles(this.#jwks);
  }

  handle(req: IncomingMessage, res: ServerResponse): unknown {
    return this.#callback(req, res);
  }

  /**
   * Everything OpenID applications hold for a user: grants (consent), refresh tokens, and the access
   * tokens and codes in Redis. After a password change or the removal of a factor.
   */
  async revokeUser(userId: string): Promise<void> {
    const grantIds = await this.deps.artifacts.deleteForAccount(userId);
    const { AccessToken, AuthorizationCode } = this.#provider;
    for (const grantId of grantIds) {
      await AccessToken.adapter.revokeByGrantId(grantId);
      await AuthorizationCode.adapter.revokeByGrantId(grantId);
    }
  }

  async reload(): Promise<void> {
    const { jwks, fingerprint } = await publishedKeys(this.deps.keys, this.deps.box, this.deps.log);
    if (fingerprint === this.#fingerprint) return;
    const provider = this.deps.build(jwks);
    this.#provider = provider;
    this.#callback = provider.callback();
    this.#jwks = jwks;
    if (this.#fingerprint) this.deps.log.info({ keys: keyRoles(jwks) }, 'OIDC signing keys reloaded');
    this.#fingerprint = fingerprint;
  }

  private async tick(): Promise<void> {
    await this.reload();
    if (Date.now() - this.#lastCleanup > CLEANUP_EVERY_MS) {
      this.#lastCleanup = Date.now();
      const deleted = await this.deps.artifacts.deleteExpired();
      if (deleted > 0) this.deps.log.info({ deleted }, 'expired OIDC grants and refresh tokens deleted');
    }
  }
}
