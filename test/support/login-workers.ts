// Whole logins and enrolments as client loops: the password step, then a TOTP code computed here,
// and each step's answer checked, so a step that fails anywhere (a secret that no longer decrypts)
// is a failed outcome with the step named.
import { alternating, PASSWORD, uniqueName } from './failover-workers.ts';
import { HttpClient, type HttpResult, previousStepCode, totpCode, totpStep } from './http-client.ts';
import type { Worker } from './traffic.ts';

export interface Enrolled {
  username: string;
  secret: string;
  client: HttpClient;
  recoveryCodes: string[];
}

type StepResult = { status: number; ok: boolean; detail?: string };

const failed = (step: string, response: HttpResult): StepResult => ({
  status: response.status,
  ok: false,
  detail: `${step}: ${JSON.stringify(response.body)}`,
});

/**
 * Registers, logs in, enrols an authenticator and confirms it, alternating load balancers; the
 * confirming code is the previous step's, so the current step's code is still unused for a login.
 */
export async function enrolSteps(lbs: string[], username: string): Promise<StepResult & { user?: Enrolled }> {
  const next = alternating(lbs);
  const client = new HttpClient(next());
  const registered = await client.post('/api/v1/register', { username, password: PASSWORD });
  if (registered.status !== 201) return failed('register', registered);
  const login = await client.via(next()).post('/api/v1/login', { username, password: PASSWORD });
  if (login.body?.state !== 'enrollment_required') return failed('login', login);
  const enrolment = await client.via(next()).post('/api/v1/totp/enroll');
  if (enrolment.status !== 200 || typeof enrolment.body.secret !== 'string')
    return failed('enroll', enrolment);
  const secret: string = enrolment.body.secret;
  const confirm = await client
    .via(next())
    .post('/api/v1/totp/confirm', { code: await previousStepCode(secret) });
  if (confirm.status !== 200 || confirm.body.state !== 'authenticated') return failed('confirm', confirm);
  const session = await client.via(next()).get('/api/v1/session');
  if (session.body?.state !== 'authenticated') return failed('session', session);
  const user = { username, secret, client, recoveryCodes: confirm.body.recoveryCodes as string[] };
  return { status: confirm.status, ok: true, user };
}

/** A fresh user enrolled on each turn. */
export function enrolment(lbs: string[], prefix: string): Worker {
  return {
    kind: 'enrolment',
    pauseMs: 100,
    run: async () => {
      const { user: _user, ...result } = await enrolSteps(lbs, uniqueName(prefix));
      return result;
    },
  };
}

/**
 * Password + TOTP logins of the users in `pool`. A code wins once and only a later step's code wins
 * after it, but one step of skew either side is accepted: each user logs in up to three times per
 * step (with the previous, the current and the next step's code), then waits for the next step.
 * The users must have been enrolled (enrolSteps) in this step or the one before.
 */
export function fullLogin(lbs: string[], pool: Array<{ username: string; secret: string }>): Worker {
  const next = alternating(lbs);
  const lastUsed = new Map<string, number>();
  // Enrolment confirmed with the previous step's code (enrolSteps): nothing before this step is left.
  const before = totpStep() - 1;
  let turn = 0;
  return {
    kind: 'full-login',
    pauseMs: 100,
    run: async () => {
      const now = totpStep();
      // Round robin, so that logins of every user spread over the time the worker runs.
      const candidates = [...pool.slice(turn % pool.length), ...pool.slice(0, turn % pool.length)];
      const user = candidates.find((u) => (lastUsed.get(u.username) ?? before) < now + 1);
      turn += 1;
      if (!user) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        return undefined;
      }
      const step = Math.max((lastUsed.get(user.username) ?? before) + 1, now - 1);
      lastUsed.set(user.username, step);
      const client = new HttpClient(next());
      const login = await client.post('/api/v1/login', { username: user.username, password: PASSWORD });
      if (login.body?.state !== 'mfa_required') return failed('password', login);
      // Still within the accepted window if the step turned meanwhile, unless it was the previous one.
      if (step < totpStep() - 1) return undefined;
      const totp = await client
        .via(next())
        .post('/api/v1/login/totp', { code: await totpCode(user.secret, step * 30_000 + 1_000) });
      if (totp.status !== 200 || totp.body.state !== 'authenticated')
        return failed(`totp (step ${step - now})`, totp);
      const me = await client.via(next()).get('/api/v1/me');
      if (me.body?.user?.username !== user.username) return failed('me', me);
      return { status: 200, ok: true };
    },
  };
}
