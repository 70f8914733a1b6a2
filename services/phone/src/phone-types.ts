// The Phone's events, options and results.
import type { LoginPrompt, PushedCode } from './messages.ts';
import type { CloseInfo } from './push-connection.ts';
import type { Account } from './state.ts';

export interface PhoneEvents {
  ready: [replica: string];
  prompt: [prompt: LoginPrompt];
  code: [code: PushedCode];
  account: [account: Account];
  disconnected: [info: CloseInfo];
  error: [error: Error];
}

/** What handleMessage did with a message: every one of these is acknowledged. */
export type HandleResult = 'account' | 'prompt' | 'code' | 'duplicate' | 'expired' | 'dropped';

export interface PhoneOptions {
  fetchTimeoutMs?: number;
}

export interface PairOptions extends PhoneOptions {
  statePath: string;
  name?: string;
  /** The origin to use instead of the link's (required with a bare token). */
  server?: string;
  /** Replace an existing state file (its device stays registered on the server). */
  overwrite?: boolean;
}

export interface AccountCode {
  userId: string;
  username: string;
  issuer: string;
  code: string;
  secondsLeft: number;
}

/** The phone's connection ended for good: 4403 (device removed), 4401 (refused) or close(). */
export class PushClosedError extends Error {
  override name = 'PushClosedError';
  constructor(readonly info: CloseInfo) {
    super(`push connection closed for good (${info.code}${info.reason ? ` ${info.reason}` : ''})`);
  }
}
