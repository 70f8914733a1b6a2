import { createHash } from 'node:crypto';
import { type Adapter, type AdapterPayload, errors } from 'oidc-provider';
import type { DurableModel, OidcArtifactsRepository } from '../repositories/oidc-artifacts.ts';
import { storage } from './unavailable.ts';

/**
 * Grants and refresh tokens in PostgreSQL: they outlive any Redis failover and are kept for months.
 * A refresh token is a bearer secret (its id is its value): its row is keyed by its SHA-256 and
 * holds no copy of it, so a database backup hands out no usable token.
 */
export class DurableOidcAdapter implements Adapter {
  constructor(
    private readonly model: DurableModel,
    private readonly artifacts: OidcArtifactsRepository,
  ) {}

  private key(id: string): string {
    return this.model === 'RefreshToken' ? createHash('sha256').update(id).digest('base64url') : id;
  }

  upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    const { jti: _value, ...withoutValue } = payload;
    const row = (this.model === 'RefreshToken' ? withoutValue : payload) as Record<string, unknown>;
    return storage(() => this.artifacts.upsert(this.model, this.key(id), row, expiresIn));
  }

  find(id: string): Promise<AdapterPayload | undefined> {
    return storage(async () => {
      const found = await this.artifacts.find(this.model, this.key(id));
      if (!found) return undefined;
      const payload = { ...(found.payload as AdapterPayload), jti: id };
      return found.consumedAt
        ? { ...payload, consumed: Math.floor(found.consumedAt.getTime() / 1000) }
        : payload;
    });
  }

  async findByUid(): Promise<undefined> {
    return undefined;
  }

  async findByUserCode(): Promise<undefined> {
    return undefined;
  }

  consume(id: string): Promise<void> {
    return storage(async () => {
      // Two refreshes racing with one token: only the first rotates, the other is refused.
      if (!(await this.artifacts.consume(this.model, this.key(id))))
        throw new errors.InvalidGrant('already used or expired');
    });
  }

  destroy(id: string): Promise<void> {
    return storage(() => this.artifacts.destroy(this.model, this.key(id)));
  }

  revokeByGrantId(grantId: string): Promise<void> {
    return storage(() => this.artifacts.revokeByGrantId(this.model, grantId));
  }
}
