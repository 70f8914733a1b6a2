// What went wrong in a flow, as one short kind for the report: an HTTP status ("429", "503"),
// "timeout", "refused", "reset", "unexpected-state", or "other".

export class FlowError extends Error {
  override name = 'FlowError';
  constructor(
    readonly kind: string,
    message: string,
  ) {
    super(message);
  }
}

/** A flow could not start for want of a resource (a user whose TOTP step is free, a phone). */
export class NotStartedError extends Error {
  override name = 'NotStartedError';
  constructor(readonly reason: string) {
    super(reason);
  }
}

const CODE_KINDS: Record<string, string> = {
  ECONNREFUSED: 'refused',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  ECONNABORTED: 'reset',
  UND_ERR_SOCKET: 'reset',
  ETIMEDOUT: 'timeout',
  EADDRNOTAVAIL: 'address-unavailable',
  EMFILE: 'too-many-files',
};

export function errorKind(error: unknown): string {
  if (error instanceof FlowError) return error.kind;
  const err = error as { name?: string; code?: string; message?: string; cause?: unknown };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return 'timeout';
  if (err?.code && CODE_KINDS[err.code]) return CODE_KINDS[err.code] as string;
  if (err?.message === 'socket hang up') return 'reset';
  if (err?.cause) return errorKind(err.cause);
  return 'other';
}
