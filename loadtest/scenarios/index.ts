// Every scenario by name.
import type { Scenario } from '../lib/flow.ts';
import { chaosScenarios } from './chaos.ts';
import login from './login.ts';
import logout from './logout.ts';
import mixed from './mixed.ts';
import pushLogin from './push-login.ts';
import registerEnrol from './register-enrol.ts';
import sessionCheck from './session-check.ts';

export const scenarios: Map<string, Scenario> = new Map(
  [login, sessionCheck, registerEnrol, logout, pushLogin, mixed, ...chaosScenarios].map((s) => [s.name, s]),
);
