// What a flow is given (its load balancer, the users, the phones, a client maker) and what a scenario is.
import type { LoadClient } from './load-client.ts';
import type { PhoneBank } from './phone-bank.ts';
import type { Recorder } from './recorder.ts';
import type { UserPool } from './user-pool.ts';

/** A signed-in browser made in the setup, whose cookie the session checks send. */
export interface ReadySession {
  username: string;
  address: string;
  cookies: Map<string, string>;
}

export interface FlowContext {
  /** The arrival's number in the run (0, 1, 2...). */
  index: number;
  /** The load balancer of this flow: flows alternate between them. */
  lb: string;
  /** The other load balancer (a flow may switch, as a browser behind DNS round robin does). */
  otherLb: string;
  timeoutMs: number;
  recorder: Recorder;
  users: UserPool;
  phoneUsers: UserPool;
  phones: PhoneBank | undefined;
  sessions: ReadySession[];
  /** A client with its own cookie jar, its connections from `address`, steps named `<flow>/<step>`. */
  client(flow: string, address: string, cookies?: Map<string, string>): LoadClient;
  /** A source address no earlier registration of this run used (20 registrations per address per 15 min). */
  freshAddress(): string;
  push: { budget: number; windowMs: number; promptTimeoutMs: number };
}

export interface Flow {
  name: string;
  run(ctx: FlowContext): Promise<void>;
}

export interface Needs {
  /** Enrolled users for logins (rate × 30 s of them at least: one code per user and step). */
  loginUsers: boolean;
  /** Signed-in sessions for session checks. */
  sessions: boolean;
  /** Users with a paired phone, connected during the run. */
  phones: boolean;
}

export interface Scenario {
  name: string;
  description: string;
  defaults: { rate: number; durationS: number };
  /** The flows and their shares of the arrivals. */
  blend: Array<{ flow: Flow; weight: number }>;
  /** Members to kill, by a chooser run at the moment of the kill (`pg-primary` is resolved then). */
  kills?: Array<{ member: string; atS: number }>;
}

export function needsOf(scenario: Scenario): Needs {
  const names = new Set(scenario.blend.filter((b) => b.weight > 0).map((b) => b.flow.name));
  return {
    loginUsers: names.has('login') || names.has('logout') || names.has('session-check'),
    sessions: names.has('session-check'),
    phones: names.has('push-login'),
  };
}

const GOLDEN = 0.618_033_988_749_895;

/** The flow of arrival `index`: a low-discrepancy sequence, so every stretch of the run has the blend's shares. */
export function pickFlow(blend: Scenario['blend'], index: number): Flow {
  const total = blend.reduce((sum, b) => sum + b.weight, 0);
  let u = ((index * GOLDEN) % 1) * total;
  for (const entry of blend) {
    if (u < entry.weight) return entry.flow;
    u -= entry.weight;
  }
  return (blend.at(-1) as { flow: Flow }).flow;
}
