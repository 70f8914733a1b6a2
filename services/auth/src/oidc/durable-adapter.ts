import { type Adapter, type AdapterPayload, errors } from 'oidc-provider';
import type { DurableModel, OidcArtifactsRepository } from '../repositories/oidc-artifacts.ts';
import { storage } from './unavailable.ts';

/** Grants and refresh tokens in PostgreSQL: they outlive any Redis failover and are kept for months. */
export class DurableOidcAdapter implements Adapter {
  constructor(
    private readonly model: DurableModel,
    private readonly artifacts: OidcArtifactsRepository,
  ) {}

  upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    return storage(() =>
      this.artifacts.upsert(this.model, id, payload as Record<string, unknown>, expiresIn),
    );
  }

  find(id: string): Promise<AdapterPayload | undefined> {
    return storage(async () => {
      const found = await this.artifacts.find(this.model, id);
      if (!found) return undefined;
      const payload = found.payload as AdapterPayload;
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
      if (!(await this.artifacts.consume(this.model, id)))
        throw new errors.InvalidGrant('already used or expired');
    });
  }

  destroy(id: string): Promise<void> {
    return storage(() => this.artifacts.destroy(this.model, id));
  }

  revokeByGrantId(grantId: string): Promise<void> {
    return storage(() => this.artifacts.revokeByGrantId(this.model, grantId));
  }
}
