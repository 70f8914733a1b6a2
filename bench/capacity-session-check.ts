// Phases (3) and (4) of the capacity benchmark: `GET /auth/verify` with a valid session cookie, as an
// application's nginx auth_request or a page asks it, through a load balancer, each simulated client
// on a loopback address of its own. The same request goes to the bare hello behind the same nginx.
import type { AddressPool } from './capacity-addresses.ts';
import { expect } from './capacity-http.ts';
import type { Operation } from './capacity-loops.ts';

export const SESSION_CHECK_TIMEOUT_MS = 10_000;

/** Operation `i` (a closed loop's slot, or an open loop's sequence number) checks session i mod n. */
export function sessionCheck(lb: string, cookies: string[], addresses: AddressPool): Operation {
  if (cookies.length === 0) throw new Error('no session to check: every login failed');
  const url = new URL('/auth/verify', lb);
  return async (i) => {
    await expect(
      {
        method: 'GET',
        url,
        agent: addresses.at(i),
        cookie: cookies[i % cookies.length],
        timeoutMs: SESSION_CHECK_TIMEOUT_MS,
      },
      200,
    );
  };
}
