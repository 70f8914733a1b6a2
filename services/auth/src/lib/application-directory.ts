// The lookups of /auth/verify, cached for a few seconds: thousands of checks a second must not each
// cost PostgreSQL round trips. A change made with `twofold apps` or `twofold users groups` reaches
// every replica within the TTL, while PostgreSQL answers in time (PATIENCE below).
import { withTimeout } from '../../../common/src/with-timeout.ts';
import type { ApplicationRow } from '../repositories/applications.ts';
import type { UserIdentity } from '../repositories/groups.ts';
import { hedged, reported, type StandbyResult } from './standby-hedge.ts';
import { TtlCache } from './ttl-cache.ts';

export const DIRECTORY_TTL_MS = 5_000;
/**
 * While PostgreSQL does not answer, nothing can change there either (unless only this replica lost
 * it): the last answers stand this long, so that an outage does not lock everyone out of every
 * application at once. A host or user never looked up still gets 503.
 */
const MAX_STALE_MS = 5 * 60_000;
/**
 * A refresh that has not answered in half a second is answered by the last answer at once, if that
 * is under a minute old, instead of holding the check until the lookup fails. A lookup by key takes
 * about a millisecond; a primary that fails over stalls it for 5–8 s, and every check whose entry
 * had expired waited that long. The cost: while PostgreSQL is that slow (not only down), a change
 * to groups or rules takes up to a minute to reach a check, instead of the TTL.
 */
const PATIENCE = { afterMs: 500, maxAgeMs: 60_000 };
/**
 * A lookup the primary has not answered in this time is asked of the standby too (when there is
 * one): while the primary fails over, the standby still answers, so that a user or host no replica
 * has looked up lately is not refused with 503 for the 5–8 s of the failover. Only slow lookups go
 * there, which the primary answers in about a millisecond otherwise.
 *
 * The standby's answer can be older than the primary's: by its replay lag, milliseconds for
 * Patroni's synchronous standby (HAProxy's read-only port leaves out a replica more than 1 MB of
 * WAL behind), more for an asynchronous one (Kubernetes' `-ro` Service may pick one). A group
 * removed or a rule tightened in that time can still admit someone, as the cache's TTL already
 * allows for 5 s. The admin guard reads the same directory.
 */
export const STANDBY_AFTER_MS = 250;
// Hosts come from request headers: bounded, so that made-up ones cannot fill the memory.
const MAX_ENTRIES = 10_000;

export interface DirectorySource {
  findByHost(host: string): Promise<ApplicationRow | undefined>;
  identityOf(userId: string): Promise<UserIdentity | undefined>;
}

export class ApplicationDirectory {
  readonly #applications: TtlCache<string, ApplicationRow | undefined>;
  readonly #identities: TtlCache<string, UserIdentity | undefined>;

  constructor(
    private readonly source: DirectorySource,
    /**
     * lookupTimeoutMs: under the database's failover retries, so that a check answers 503 in time.
     * standby: the same lookups on a PostgreSQL standby, asked when the primary is slow to answer.
     */
    private readonly options: {
      lookupTimeoutMs: number;
      standby?: DirectorySource;
      /** Told how each lookup asked of the standby ended (a metric): "answered" includes "not found". */
      onStandbyLookup?: (result: StandbyResult) => void;
      ttlMs?: number;
      now?: () => number;
    },
  ) {
    const cache = {
      ttlMs: options.ttlMs ?? DIRECTORY_TTL_MS,
      maxStaleMs: MAX_STALE_MS,
      maxEntries: MAX_ENTRIES,
      patience: PATIENCE,
    };
    this.#applications = new TtlCache({ ...cache, now: options.now });
    this.#identities = new TtlCache({ ...cache, now: options.now });
  }

  /**
   * The application registered for a host (lower case, no port); undefined for an unknown host.
   * The standby's "unknown" counts: most hosts checked are no application (the default rule
   * applies, both factors), and waiting for the primary would refuse all of them while it fails
   * over. The cost: an application registered within the standby's replay lag (see above) before
   * the primary turned slow gets the default rule, any user with both factors, not its own, until
   * the primary answers. Register an application before pointing its hosts at Twofold.
   */
  applicationFor(host: string): Promise<ApplicationRow | undefined> {
    return this.#applications.get(host, (key) =>
      this.#lookup(
        (source) => source.findByHost(key),
        () => true,
      ),
    );
  }

  /**
   * A user's email and groups; undefined when the user no longer exists. Only a user the standby
   * finds counts: one it does not may have just registered, and "unknown" would sign them out.
   */
  identityOf(userId: string): Promise<UserIdentity | undefined> {
    return this.#identities.get(userId, (key) =>
      this.#lookup(
        (source) => source.identityOf(key),
        (identity) => identity !== undefined,
      ),
    );
  }

  #lookup<T>(read: (source: DirectorySource) => Promise<T>, trusted: (answer: T) => boolean): Promise<T> {
    const { standby, lookupTimeoutMs, onStandbyLookup } = this.options;
    const fromStandby = standby && reported(() => read(standby), onStandbyLookup);
    return withTimeout(
      'postgres',
      lookupTimeoutMs,
      hedged(() => read(this.source), fromStandby, STANDBY_AFTER_MS, trusted),
    );
  }
}
