// A first user's first login, through a running cluster's load balancers: register, enrol an
// authenticator (the code computed here), log out, log in again with password + code through the
// other load balancer, and pass nginx's forward auth. Exits 1 at the first step that goes wrong.
// Usage: node --import tsx scripts/login-smoke.ts [lb-a URL] [lb-b URL]
import { randomBytes } from 'node:crypto';
import { HttpClient, type HttpResult, totpCode } from '../test/support/http-client.ts';

const [lbA = 'http://127.0.0.1:8080', lbB = 'http://127.0.0.1:8081'] = process.argv.slice(2);

function expect(step: string, result: HttpResult, status: number, state?: string): void {
  const ok = result.status === status && (state === undefined || result.body?.state === state);
  if (!ok) {
    console.error(`login smoke: ${step} answered ${result.status} ${JSON.stringify(result.body)}`);
    process.exit(1);
  }
  console.log(`login smoke: ${step}: ${status}${state ? ` ${state}` : ''}`);
}

const username = `smoke-${randomBytes(4).toString('hex')}`;
const password = `smoke password ${randomBytes(8).toString('hex')}`;
const client = new HttpClient(lbA);

expect('register', await client.post('/api/v1/register', { username, password }), 201);
expect('password', await client.post('/api/v1/login', { username, password }), 200, 'enrollment_required');
const enrolment = await client.post('/api/v1/totp/enroll');
expect('enrol', enrolment, 200);
const secret: string = enrolment.body.secret;
// The previous step's code: the login below uses the current one, which has not been spent yet.
const confirm = await client.post('/api/v1/totp/confirm', {
  code: await totpCode(secret, Date.now() - 30_000),
});
expect('confirm', confirm, 200, 'authenticated');
expect('logout', await client.post('/api/v1/logout'), 204);

client.via(lbB);
expect('password again', await client.post('/api/v1/login', { username, password }), 200, 'mfa_required');
expect(
  'code',
  await client.post('/api/v1/login/totp', { code: await totpCode(secret) }),
  200,
  'authenticated',
);
const verify = await client.get('/auth/verify');
expect('forward auth', verify, 200);
if (verify.headers.get('remote-user') !== username) {
  console.error(`login smoke: forward auth named ${verify.headers.get('remote-user')}, not ${username}`);
  process.exit(1);
}
console.log(`login smoke: ${username} logged in with password and code through ${lbA} and ${lbB}`);
