/** Error raised when a dependency does not answer in time; the HTTP layer maps it to 503. */
export class DependencyTimeoutError extends Error {
  override name = 'DependencyTimeoutError';
  constructor(
    readonly dependency: string,
    readonly timeoutMs: number,
  ) {
    super(`${dependency} did not answer within ${timeoutMs} ms`);
  }
}

/** Races a promise against a deadline, so that no request waits on a dead dependency. */
export async function withTimeout<T>(dependency: string, timeoutMs: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DependencyTimeoutError(dependency, timeoutMs)), timeoutMs);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
