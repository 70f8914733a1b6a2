// Phase (2) of the capacity benchmark: one full login as a browser does it through the load balancer,
// POST /api/v1/login (password: argon2 in the replica) then POST /api/v1/login/totp with the code an
// authenticator app shows now, each login from the next of many loopback addresses. The two steps'
// own latencies are kept apart, so the report can say where a login's time goes.
import { totpCode } from '../test/support/totp-codes.ts';
import type { AddressPool } from './capacity-addresses.ts';
import { BenchError, expect } from './capacity-http.ts';
import { Recorder } from './capacity-recorder.ts';
import { totpStepAt, type UserPool } from './capacity-user-pool.ts';

export const LOGIN_TIMEOUT_MS = 30_000;

function stateOf(text: string): unknown {
  try {
    return (JSON.parse(text) as { state?: unknown }).state;
  } catch {
    return undefined;
  }
}

export class LoginDriver {
  /** Latencies of the password step and of the TOTP step, of logins that completed. */
  readonly passwordStep = new Recorder();
  readonly totpStep = new Recorder();
  /** The newest sessions (cookies) logins produced, for the session-check phase. */
  readonly sessions: string[] = [];
  #recordFrom = Number.POSITIVE_INFINITY;

  constructor(
    private readonly lb: string,
    private readonly users: UserPool,
    private readonly addresses: AddressPool,
    private readonly keepSessions = 64,
  ) {}

  /** Step latencies are recorded for logins that start from now on (the warm-up's end). */
  recordStepsFrom(at: number): void {
    this.#recordFrom = at;
  }

  readonly login = async (): Promise<void> => {
    const now = Date.now();
    const user = this.users.take(totpStepAt(now));
    if (!user)
      throw new BenchError(`no account free in this TOTP step (pool of ${this.users.size} too small)`);
    const agent = this.addresses.next();
    const started = performance.now();
    const password = await expect(
      {
        method: 'POST',
        url: new URL('/api/v1/login', this.lb),
        agent,
        body: { username: user.username, password: user.password },
        timeoutMs: LOGIN_TIMEOUT_MS,
      },
      200,
    );
    const passwordDone = performance.now();
    if (stateOf(password.text) !== 'mfa_required')
      throw new BenchError(`login state ${stateOf(password.text)}`);
    const cookie = password.sessionCookie;
    if (!cookie) throw new BenchError('the password step set no session cookie');
    const code = await totpCode(user.secret, now);
    const second = await expect(
      {
        method: 'POST',
        url: new URL('/api/v1/login/totp', this.lb),
        agent,
        cookie,
        body: { code },
        timeoutMs: LOGIN_TIMEOUT_MS,
      },
      200,
    );
    if (stateOf(second.text) !== 'authenticated') throw new BenchError(`TOTP state ${stateOf(second.text)}`);
    if (started >= this.#recordFrom) {
      this.passwordStep.success(passwordDone - started);
      this.totpStep.success(performance.now() - passwordDone);
    }
    this.sessions.push(second.sessionCookie ?? cookie);
    if (this.sessions.length > this.keepSessions) this.sessions.shift();
  };
}
