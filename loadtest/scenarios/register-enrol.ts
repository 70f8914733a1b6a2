// A new user: register, sign in with the password, enrol an authenticator and confirm it.
import type { Flow, Scenario } from '../lib/flow.ts';
import { codeForStep, totpStep } from '../lib/totp.ts';
import { freshCredentials } from '../lib/user-setup.ts';

export const registerEnrolFlow: Flow = {
  name: 'register-enrol',
  async run(ctx) {
    const { username, password } = freshCredentials();
    const client = ctx.client('register-enrol', ctx.freshAddress());
    await client.call('register', 'POST', '/api/v1/register', { username, password }, 201);
    const login = await client.call('password', 'POST', '/api/v1/login', { username, password }, 200);
    client.expectState('password', login, 'enrollment_required');
    const enrolment = await client.call('enroll', 'POST', '/api/v1/totp/enroll', {}, 200);
    const code = codeForStep(enrolment.body.secret as string, totpStep());
    const confirmed = await client.call('confirm', 'POST', '/api/v1/totp/confirm', { code }, 200);
    client.expectState('confirm', confirmed, 'authenticated');
  },
};

export default {
  name: 'register-enrol',
  description: 'register, enrol an authenticator (POST /api/v1/totp/enroll), confirm it with a code',
  defaults: { rate: 2, durationS: 20 },
  blend: [{ flow: registerEnrolFlow, weight: 1 }],
} satisfies Scenario;
