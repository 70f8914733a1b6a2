// The compose test's traffic: a new user's whole first login, one after another through a kill.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { HttpClient, type HttpResult, totpCode } from '../../test/support/http-client.ts';

/** The stack's two load balancers, as the host reaches them. */
export interface LoadBalancers {
  a: string;
  b: string;
}

/** The whole first-login journey of a new user, through lb-a then lb-b; throws at the first wrong answer. */
export async function journey(
  lbs: LoadBalancers,
): Promise<{ username: string; password: string; secret: string; lastStep: number }> {
  const username = `compose-${randomBytes(4).toString('hex')}`;
  const password = `compose password ${randomBytes(8).toString('hex')}`;
  const client = new HttpClient(lbs.a);
  const must = (step: string, result: HttpResult, status: number) => {
    if (result.status !== status) throw new Error(`${step}: ${result.status} ${JSON.stringify(result.body)}`);
  };
  must('register', await client.post('/api/v1/register', { username, password }), 201);
  must('password', await client.post('/api/v1/login', { username, password }), 200);
  const enrolment = await client.post('/api/v1/totp/enroll');
  must('enrol', enrolment, 200);
  const secret: string = enrolment.body.secret;
  // The confirm spends the current step's code and the login the next step's: each stays within the
  // server's 30 s tolerance for as long as a failover may hold a request, and never repeats a step.
  const confirmedAt = Date.now();
  must(
    'confirm',
    await client.post('/api/v1/totp/confirm', { code: await totpCode(secret, confirmedAt) }),
    200,
  );
  must('logout', await client.post('/api/v1/logout'), 204);
  client.via(lbs.b);
  must('password again', await client.post('/api/v1/login', { username, password }), 200);
  const loginAt = confirmedAt + 30_000;
  must('code', await client.post('/api/v1/login/totp', { code: await totpCode(secret, loginAt) }), 200);
  const verify = await client.get('/auth/verify');
  must('forward auth', verify, 200);
  if (verify.headers.get('remote-user') !== username) throw new Error('forward auth named someone else');
  return { username, password, secret, lastStep: Math.floor(loginAt / 30_000) };
}

/**
 * A journey a second for `ms` (about 8 requests a second: under the edge's limit per address, from
 * which all of them come); returns how many passed and the failures' messages.
 */
export async function journeysFor(
  lbs: LoadBalancers,
  ms: number,
): Promise<{ passed: number; failed: string[]; longestMs: number }> {
  const until = Date.now() + ms;
  const result = { passed: 0, failed: [] as string[], longestMs: 0 };
  while (Date.now() < until) {
    const from = Date.now();
    try {
      await journey(lbs);
      result.passed += 1;
    } catch (error) {
      result.failed.push((error as Error).message.slice(0, 200));
    }
    result.longestMs = Math.max(result.longestMs, Date.now() - from);
    await sleep(Math.max(0, 1_000 - (Date.now() - from)));
  }
  return result;
}

/** A journey on the killed replica when it died gets nginx's 502 (a POST is never resent): one may. */
export function assertAtMostOneCut(
  what: string,
  result: { passed: number; failed: string[]; longestMs: number },
): void {
  const cut = result.failed.filter((failure) => / 502 /.test(failure));
  if (result.passed === 0 || cut.length > 1 || cut.length !== result.failed.length)
    throw new Error(`journeys failed ${what}: ${result.failed.slice(0, 5).join('; ')}`);
}
