// JSON over fetch to the same origin. The phone has no session: requests carry no cookie, and the
// device proves itself by signatures in the body instead.

const TIMEOUT_MS = 15000;

export class ApiError extends Error {
  /** @param {number} status @param {string} code @param {string} message */
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/** @param {string} path @param {unknown} body */
export async function postJson(path, body) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  let response;
  let text = '';
  try {
    response = await fetch(path, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
      signal: controller.signal,
    });
    text = await response.text();
  } catch {
    throw new ApiError(0, 'network_error', 'Could not reach Twofold. Check your connection and try again.');
  } finally {
    clearTimeout(timer);
  }
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null; // an HTML error page from the load balancer
  }
  if (response.ok) return data;
  const error = data?.error ?? {};
  throw new ApiError(
    response.status,
    error.code ?? `http_${response.status}`,
    error.message ?? fallback(response),
  );
}

/** @param {Response} response */
function fallback(response) {
  if (response.status === 429) return 'Too many attempts. Wait a moment and try again.';
  if (response.status >= 500) return 'Twofold is having trouble right now. Please try again in a moment.';
  return `The request failed (HTTP ${response.status}).`;
}
