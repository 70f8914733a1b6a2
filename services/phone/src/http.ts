// JSON over HTTP for the phone, with a deadline on every request and the API's error shape
// (`{"error":{"code","message"}}`) turned into an error carrying status and code.

export const DEFAULT_FETCH_TIMEOUT_MS = 10_000;

export class PhoneRequestError extends Error {
  override name = 'PhoneRequestError';
  /**
   * @param status the HTTP status, or 0 when no answer came (code `timeout` or `network`)
   * @param code the API's error code (`pairing_expired`, `challenge_closed`, …)
   */
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function postJson(url: string, body: unknown, timeoutMs: number): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      throw new PhoneRequestError(0, 'timeout', `POST ${url}: no answer within ${timeoutMs} ms`);
    }
    const cause = (error as { cause?: Error }).cause?.message ?? (error as Error).message;
    throw new PhoneRequestError(0, 'network', `POST ${url}: ${cause}`);
  }
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw new PhoneRequestError(
      0,
      'timeout',
      `POST ${url}: the answer did not finish: ${(error as Error).message}`,
    );
  }
  const parsed = parseJson(text);
  if (response.ok) {
    if (parsed === undefined)
      throw new PhoneRequestError(response.status, 'bad_response', `POST ${url}: not JSON`);
    return parsed;
  }
  const error = (parsed as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  const code = typeof error?.code === 'string' ? error.code : `http_${response.status}`;
  const message = typeof error?.message === 'string' ? error.message : response.statusText;
  throw new PhoneRequestError(response.status, code, `${code} (${response.status}): ${message}`);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
