// A small typed client of Twofold's verification API, for an application's SERVER (never a browser:
// it holds the application's API key). Shared by examples/rp-terminal and examples/rp-web.
//
//   const twofold = new TwofoldClient({ url: 'http://127.0.0.1:8080', apiKey: process.env.KEY });
//   const started = await twofold.createVerification('alice', 'push');   // show started.number
//   const state = await twofold.waitForAnswer(started.id);                // approved | denied | expired
//   // or, with method 'code': await twofold.submitCode(started.id, '123456')  // approved | denied
//
// Linking: a user links this application to their Twofold account with a link code. Ask for one for
// the user you have signed in (never for a username someone merely typed), show it to them only, and
// they enter it on Twofold's account page:
//   const { code, expiresAt } = await twofold.createLinkCode('alice');    // e.g. "ABCDE-23456"
//   await twofold.unlink('alice');   // when alice leaves the application: true if she was linked
//
// Every request has its own timeout (AbortSignal.timeout); a failure is a TwofoldError whose `code`
// is the API's error code (invalid_api_key, user_not_linked, push_unavailable, too_many_attempts…)
// or one of this client's own: `unavailable` (no answer, a timeout or a 5xx) and `bad_response`.

export type VerificationMethod = 'push' | 'code';
export type VerificationState = 'pending' | 'approved' | 'denied' | 'expired';
export type FinalState = Exclude<VerificationState, 'pending'>;

export interface StartedVerification {
  id: string;
  state: 'pending';
  /** Push with number matching: the number the user taps on the phone. Show it to them. */
  number?: number;
  /** When Twofold gives up on an answer (ms since the epoch), if it said. */
  expiresAt?: number;
}

export interface LinkCode {
  /** For the user to enter on Twofold's account page, e.g. "ABCDE-23456"; works once. */
  code: string;
  /** When it stops working (ms since the epoch). */
  expiresAt: number;
}

export interface TwofoldClientOptions {
  /** Twofold's base URL: the load balancer, e.g. http://127.0.0.1:8080. */
  url: string;
  apiKey: string;
  /** Per request, for requests that do not wait on purpose. Default 10 s. */
  requestTimeoutMs?: number;
  /** The seconds one long poll asks Twofold to wait (Twofold caps it). Default 20. */
  pollSeconds?: number;
  /** For tests: a fetch to use instead of the global one. */
  fetch?: typeof fetch;
}

/** What went wrong, with the API's error code (or `unavailable`, `bad_response`, `aborted`). */
export class TwofoldError extends Error {
  override name = 'TwofoldError';
  constructor(
    readonly code: string,
    message: string,
    /** The HTTP status, when Twofold answered. */
    readonly status?: number,
    /** From a 429's Retry-After. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }

  /** Worth trying again later: Twofold did not answer, or answered 5xx. */
  get transient(): boolean {
    return this.code === 'unavailable';
  }
}

const STATES: ReadonlySet<string> = new Set(['pending', 'approved', 'denied', 'expired']);
/** A long poll's own timeout is the wait it asked for plus this. */
const POLL_MARGIN_MS = 10_000;
/** After a transient failure, a long poll is tried again after this. */
const RETRY_AFTER_MS = 1_000;

export class TwofoldClient {
  readonly #base: string;
  readonly #apiKey: string;
  readonly #timeoutMs: number;
  readonly #pollSeconds: number;
  readonly #fetch: typeof fetch;

  constructor(options: TwofoldClientOptions) {
    const url = new URL(options.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Error(`Twofold URL must be http or https, got ${JSON.stringify(options.url)}`);
    }
    this.#base = url.href.replace(/\/+$/, '');
    this.#apiKey = options.apiKey;
    this.#timeoutMs = options.requestTimeoutMs ?? 10_000;
    this.#pollSeconds = Math.max(1, Math.min(60, Math.floor(options.pollSeconds ?? 20)));
    this.#fetch = options.fetch ?? fetch;
  }

  /** Asks Twofold to confirm the user this application knows as `username`. */
  async createVerification(username: string, method: VerificationMethod): Promise<StartedVerification> {
    const body = await this.#request('POST', '/api/v1/rp/verifications', { username, method });
    const id = body.id;
    if (typeof id !== 'string' || id === '') throw badResponse('no verification id');
    const number = typeof body.number === 'number' ? body.number : undefined;
    const expiresAt = typeof body.expiresAt === 'string' ? Date.parse(body.expiresAt) : Number.NaN;
    return {
      id,
      state: 'pending',
      ...(number === undefined ? {} : { number }),
      ...(Number.isFinite(expiresAt) ? { expiresAt } : {}),
    };
  }

  /** The verification's state now, or once decided within `waitSeconds` (one long poll). */
  async state(id: string, options: { waitSeconds?: number; signal?: AbortSignal } = {}) {
    const wait = Math.max(0, Math.min(60, Math.floor(options.waitSeconds ?? 0)));
    const body = await this.#request(
      'GET',
      `/api/v1/rp/verifications/${encodeURIComponent(id)}${wait > 0 ? `?wait=${wait}` : ''}`,
      undefined,
      wait * 1000 + POLL_MARGIN_MS,
      options.signal,
    );
    return stateOf(body);
  }

  /**
   * Long-polls until the user answers or the verification expires. Past `deadlineMs` (default:
   * the verification's expiry plus a little, else two minutes from now) it answers `expired` even
   * if Twofold still says pending. Twofold being briefly unreachable (a replica failing over) is
   * retried until then; an API error (404, 401…) is thrown at once.
   */
  async waitForAnswer(
    verification: string | Pick<StartedVerification, 'id' | 'expiresAt'>,
    options: { deadlineMs?: number; signal?: AbortSignal } = {},
  ): Promise<FinalState> {
    const { id, expiresAt } = typeof verification === 'string' ? { id: verification } : verification;
    const deadline = options.deadlineMs ?? (expiresAt ? expiresAt + 5_000 : Date.now() + 120_000);
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) return 'expired';
      const waitSeconds = Math.max(1, Math.min(this.#pollSeconds, Math.floor(left / 1000)));
      try {
        const state = await this.state(id, {
          waitSeconds,
          ...(options.signal && { signal: options.signal }),
        });
        if (state !== 'pending') return state;
      } catch (error) {
        if (!(error instanceof TwofoldError) || !error.transient) throw error;
        await sleep(Math.min(RETRY_AFTER_MS, Math.max(0, deadline - Date.now())), options.signal);
      }
    }
  }

  /**
   * Checks a code the user typed (their authenticator's, or the one Twofold pushed to their phone):
   * approved or denied, or expired when it came too late. One code per verification: a second is
   * refused (409 verification_closed).
   */
  async submitCode(id: string, code: string): Promise<FinalState> {
    let body: Record<string, unknown>;
    try {
      body = await this.#request('POST', `/api/v1/rp/verifications/${encodeURIComponent(id)}/code`, { code });
    } catch (error) {
      if (error instanceof TwofoldError && error.code === 'verification_expired') return 'expired';
      throw error;
    }
    const state = stateOf(body);
    if (state === 'pending') throw badResponse('still pending after a code');
    return state;
  }

  /**
   * A link code for the user this application knows as `username`: the user enters it on Twofold's
   * account page to link their Twofold account. It vouches that `username` is theirs: ask for one
   * only for the user signed in here, and show it to them alone.
   */
  async createLinkCode(username: string): Promise<LinkCode> {
    const body = await this.#request('POST', '/api/v1/rp/link-codes', { username });
    const code = body.code;
    const expiresAt = typeof body.expiresAt === 'string' ? Date.parse(body.expiresAt) : Number.NaN;
    if (typeof code !== 'string' || code === '' || !Number.isFinite(expiresAt)) {
      throw badResponse('no link code');
    }
    return { code, expiresAt };
  }

  /** Ends the link of `username` (the user left this application): false when none was linked. */
  async unlink(username: string): Promise<boolean> {
    try {
      await this.#request('DELETE', `/api/v1/rp/links/${encodeURIComponent(username)}`);
      return true;
    } catch (error) {
      if (error instanceof TwofoldError && error.code === 'user_not_linked') return false;
      throw error;
    }
  }

  async #request(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    body?: object,
    timeoutMs = this.#timeoutMs,
    signal?: AbortSignal,
  ): Promise<Record<string, unknown>> {
    const timeout = AbortSignal.timeout(timeoutMs);
    let response: Response;
    try {
      response = await this.#fetch(`${this.#base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.#apiKey}`,
          accept: 'application/json',
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        redirect: 'error',
      });
    } catch (error) {
      if (signal?.aborted) throw new TwofoldError('aborted', 'The request was cancelled.');
      const cause = (error as { cause?: { code?: unknown } }).cause?.code;
      const reason = timeout.aborted
        ? `no answer within ${timeoutMs} ms`
        : `${(error as Error).message}${typeof cause === 'string' ? ` (${cause})` : ''}`;
      throw new TwofoldError('unavailable', `Twofold did not answer: ${reason}.`);
    }
    let parsed: unknown;
    try {
      parsed = await response.json();
    } catch {
      parsed = undefined;
    }
    const json = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
    if (response.ok) {
      if (response.status === 204) return {};
      if (parsed === undefined) throw badResponse(`HTTP ${response.status} without JSON`);
      return json;
    }
    const error = (typeof json.error === 'object' && json.error !== null ? json.error : {}) as {
      code?: unknown;
      message?: unknown;
    };
    const retryAfter = Number(response.headers.get('retry-after'));
    const code =
      response.status >= 500 ? 'unavailable' : typeof error.code === 'string' ? error.code : 'bad_response';
    const message =
      typeof error.message === 'string' ? error.message : `Twofold answered HTTP ${response.status}.`;
    throw new TwofoldError(
      code,
      message,
      response.status,
      Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
    );
  }
}

function stateOf(body: Record<string, unknown>): VerificationState {
  const state = body.state;
  if (typeof state !== 'string' || !STATES.has(state)) throw badResponse('no verification state');
  return state as VerificationState;
}

const badResponse = (what: string) =>
  new TwofoldError('bad_response', `Twofold's answer was not understood (${what}).`);

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new TwofoldError('aborted', 'The request was cancelled.'));
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }
    function onAbort() {
      clearTimeout(timer);
      reject(new TwofoldError('aborted', 'The request was cancelled.'));
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
