// A realistic blend: mostly session checks from protected applications, logins, some logouts,
// new users, and push logins when phones are paired (--phones 0 leaves them out).
import type { Scenario } from '../lib/flow.ts';
import { loginFlow } from './login.ts';
import { logoutFlow } from './logout.ts';
import { pushLoginFlow } from './push-login.ts';
import { registerEnrolFlow } from './register-enrol.ts';
import { sessionCheckFlow } from './session-check.ts';

export const mixedBlend: Scenario['blend'] = [
  { flow: sessionCheckFlow, weight: 60 },
  { flow: loginFlow, weight: 25 },
  { flow: logoutFlow, weight: 5 },
  { flow: registerEnrolFlow, weight: 5 },
  { flow: pushLoginFlow, weight: 5 },
];

export default {
  name: 'mixed',
  description: '60% session checks, 25% logins, 5% logouts, 5% registrations with enrolment, 5% push logins',
  defaults: { rate: 10, durationS: 30 },
  blend: mixedBlend,
} satisfies Scenario;
