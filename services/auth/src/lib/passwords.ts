// @node-rs/argon2 ships a prebuilt binary per platform (x64/arm64, glibc/musl) as an optional
// dependency and has no install script: it installs without a compiler, unlike argon2 0.45's
// node-gyp fallback. Its hashes are the same PHC strings, so hashes made by either verify in both.
import * as argon2 from '@node-rs/argon2';
import bcrypt from 'bcryptjs';

export interface Argon2Params {
  memoryKiB: number;
  timeCost: number;
  parallelism: number;
}

/**
 * Thrown when more hashes wait than the replica can work through quickly: the request is refused
 * at once (503, Retry-After) instead of every login's latency climbing behind a flood.
 */
export class PasswordHasherBusyError extends Error {
  constructor(readonly pending: number) {
    super(`${pending} password hashes pending`);
  }
}

export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 256;

/** NFKC so that the same password typed on two keyboards (composed or decomposed accents) matches. */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

export type HashOperation = 'hash' | 'verify';

/** What a PasswordHasher reports, for metrics; it knows nothing of how they are kept. */
export interface PasswordHasherObserver {
  /** A hash or verification ran (to success or not) for this many seconds, once admitted. */
  finished?(operation: HashOperation, seconds: number): void;
  /** One was refused with PasswordHasherBusyError. */
  refused?(): void;
}

export class PasswordHasher {
  readonly #options: argon2.Options;
  /** A real hash of nothing useful: verifying against it costs what a real check costs. */
  #dummyHash: Promise<string> | undefined;
  /** Hashes and verifications started and not finished (they run on libuv's thread pool). */
  #pending = 0;

  /** Admitted ones waiting for a slot (at most maxConcurrent run at once). */
  readonly #waiting: Array<() => void> = [];
  #running = 0;

  constructor(
    params: Argon2Params,
    /** More pending than this, and new ones are refused with PasswordHasherBusyError. */
    readonly maxPending = Number.POSITIVE_INFINITY,
    private readonly observer: PasswordHasherObserver = {},
    /**
     * At most this many run at once; the others wait their turn. argon2id is memory-hard (19 MiB
     * each at the default cost): more at once than the cores only makes each slower, as they evict
     * each other from the caches. On a 2-core machine 12 at once verified 119-124 a second, 3 at
     * once 135-144 (`npm run bench -- argon2-concurrency`; see BENCHMARKS.md).
     */
    readonly maxConcurrent = Number.POSITIVE_INFINITY,
  ) {
    this.#options = {
      algorithm: argon2.Algorithm.Argon2id,
      memoryCost: params.memoryKiB,
      timeCost: params.timeCost,
      parallelism: params.parallelism,
    };
  }

  get pending(): number {
    return this.#pending;
  }

  hash(password: string): Promise<string> {
    return this.#admitted('hash', () => argon2.hash(normalizePassword(password), this.#options));
  }

  verify(hash: string, password: string): Promise<boolean> {
    return this.#admitted('verify', () => this.#verify(hash, password));
  }

  async #admitted<T>(operation: HashOperation, work: () => Promise<T>): Promise<T> {
    if (this.#pending >= this.maxPending) {
      this.observer.refused?.();
      throw new PasswordHasherBusyError(this.#pending);
    }
    this.#pending += 1;
    try {
      await this.#slot();
      const started = performance.now();
      try {
        return await work();
      } finally {
        this.observer.finished?.(operation, (performance.now() - started) / 1000);
        this.#release();
      }
    } finally {
      this.#pending -= 1;
    }
  }

  // A counting semaphore of a few lines, in order of arrival; a library for it would be more code to read.
  #slot(): Promise<void> {
    if (this.#running < this.maxConcurrent) {
      this.#running += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#running -= 1;
  }

  async #verify(hash: string, password: string): Promise<boolean> {
    try {
      // Legacy hashes imported from an older system are bcrypt; they are redone as argon2id at the
      // next successful login (needsRehash). bcrypt saw the password as typed: no normalisation.
      if (isBcryptHash(hash)) return await bcrypt.compare(password, hash);
      return await argon2.verify(hash, normalizePassword(password));
    } catch {
      return false;
    }
  }

  /** Spends the time of one verification, so "no such user" looks like "wrong password". */
  async verifyDummy(password: string): Promise<false> {
    await this.#admitted('verify', async () => {
      this.#dummyHash ??= argon2.hash('twofold-dummy-password-for-timing', this.#options);
      return this.#verify(await this.#dummyHash, password);
    });
    return false;
  }

  /** True when a stored hash was made with other parameters than today's (e.g. before they rose). */
  needsRehash(hash: string): boolean {
    if (!hash.startsWith('$argon2id$')) return true;
    try {
      const stored = argon2.parseOptions(hash);
      return (
        stored.memoryCost !== this.#options.memoryCost ||
        stored.timeCost !== this.#options.timeCost ||
        stored.parallelism !== this.#options.parallelism
      );
    } catch {
      return true;
    }
  }
}

const BCRYPT_HASH = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;

export function isBcryptHash(hash: string): boolean {
  return BCRYPT_HASH.test(hash);
}

// The parameters in RFC 9106's order (m,t,p), or in the order the argon2 npm package wrote them
// up to 0.45 (m,p,t): Twofold's own hashes from before @node-rs/argon2 are importable too.
const ARGON2ID_HASH =
  /^\$argon2id\$v=19\$(m=\d+,t=\d+,p=\d+|m=\d+,p=\d+,t=\d+)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;

/**
 * bcrypt runs in JavaScript on the event loop: a cost above 12 (~250 ms here) would let a password
 * spray on imported accounts stall a replica, and make those accounts stand out by their timing.
 */
const MAX_IMPORTED_BCRYPT_COST = 12;

/** Hash formats accepted on import: bcrypt up to cost 12 (rehashed at the next login) and argon2id. */
export function isImportableHash(hash: string): boolean {
  if (isBcryptHash(hash)) return Number(hash.slice(4, 6)) <= MAX_IMPORTED_BCRYPT_COST;
  return ARGON2ID_HASH.test(hash);
}
