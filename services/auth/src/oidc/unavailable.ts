import { errors } from 'oidc-provider';

/**
 * Redis or PostgreSQL did not answer: OAuth's `temporarily_unavailable` with a 503, which a client
 * may retry, instead of the provider's generic 500 `server_error`.
 */
export class ProviderUnavailable extends errors.OIDCProviderError {
  constructor(cause: unknown) {
    super(503, 'temporarily_unavailable', { cause: cause instanceof Error ? cause : undefined });
    this.expose = true;
    this.error_description = 'The service is briefly unavailable; try again.';
  }
}

/** Runs a storage call; anything but the provider's own errors becomes ProviderUnavailable. */
export async function storage<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof errors.OIDCProviderError) throw error;
    throw new ProviderUnavailable(error);
  }
}
