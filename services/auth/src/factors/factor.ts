import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { LoginStep } from '../plugins/external/metrics.ts';
import type { BudgetScope } from './budgets.ts';

/** What the registry knows of one account, read in one statement (repositories/factor-facts.ts). */
export interface FactorFacts {
  hasAuthenticator: boolean;
  recoveryCodesLeft: number;
  phones: number;
  securityKeys: number;
  email: string | null;
}

/** Whose login is being checked. */
export interface FactorUser {
  userId: string;
  username: string;
}

/** A factor's answer to what was presented; `detail` goes to the audit log of a failure. */
export type FactorVerdict = { ok: true } | { ok: false; detail?: Record<string, unknown> };

/** One second factor: everything the rest of the service knows about it, in one place. */
export interface Factor {
  /** Its name in the API: login's `factors`, `/api/v1/me`'s `factors`, the metrics' label. */
  readonly name: string;
  /** RFC 8176 authentication method reference, recorded on the session it signs in. */
  readonly amr: string;
  /** The audit log's and the metrics' step for a check of it at login. */
  readonly step: LoginStep;
  /** The budget its login attempts spend (factors/budgets.ts). */
  readonly budget: BudgetScope;
  /** Set up on this account: the login offers it. */
  offered(facts: FactorFacts, app: FastifyInstance): boolean;
  /** Shown among the account's factors on its page (a phone is listed once, not once per way to use it). */
  listed(facts: FactorFacts, app: FastifyInstance): boolean;
}

/** A factor checked in one request at the login step (a typed code, a security key's signature). */
export interface CheckedFactor<Input> extends Factor {
  verify(
    app: FastifyInstance,
    request: FastifyRequest,
    user: FactorUser,
    input: Input,
  ): Promise<FactorVerdict>;
}
