interface Entry<V> {
  value: Promise<V>;
  expiresAt: number;
  /** The last value a lookup returned, and when. */
  loaded?: { value: V; at: number };
}

/**
 * A small in-memory cache of lookups with a time to live and a bounded size (the oldest entry goes
 * first). It keeps the pending promise, so that a burst of requests for one key makes one lookup.
 * When a lookup fails, the last value loaded (no older than `maxStaleMs`) is answered instead; with
 * none, the failure is, and it is forgotten at once so that the next request asks again. With
 * `patienceMs`, a lookup that has not answered by then is answered by that last value too, without
 * waiting for it to fail; its answer, if it comes, replaces the stand-in.
 */
export class TtlCache<K, V> {
  readonly #entries = new Map<K, Entry<V>>();

  constructor(
    private readonly options: {
      ttlMs: number;
      maxStaleMs: number;
      maxEntries: number;
      patienceMs?: number;
      now?: () => number;
    },
  ) {}

  get(key: K, load: (key: K) => Promise<V>): Promise<V> {
    const now = this.#now();
    const cached = this.#entries.get(key);
    if (cached && cached.expiresAt > now) return cached.value;
    // Deleted and set again, so that the Map's order stays the order of age.
    this.#entries.delete(key);
    if (this.#entries.size >= this.options.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    const entry: Entry<V> = { value: Promise.resolve() as Promise<V>, expiresAt: now + this.options.ttlMs };
    if (cached?.loaded) entry.loaded = cached.loaded;
    const lookup = load(key).then(
      (value) => {
        entry.loaded = { value, at: this.#now() };
        entry.value = lookup;
        return value;
      },
      (error: unknown) => {
        const last = this.#usable(entry.loaded);
        if (last) return last.value;
        if (this.#entries.get(key) === entry) this.#entries.delete(key);
        throw error;
      },
    );
    entry.value = this.#standInIfSlow(lookup, entry.loaded);
    this.#entries.set(key, entry);
    return entry.value;
  }

  /** `lookup`, or `last` once the lookup has taken `patienceMs`, if `last` may still stand in then. */
  #standInIfSlow(lookup: Promise<V>, last: Entry<V>['loaded']): Promise<V> {
    const { patienceMs } = this.options;
    if (patienceMs === undefined || !last) return lookup;
    return new Promise<V>((resolve, reject) => {
      const timer = setTimeout(() => {
        const usable = this.#usable(last);
        if (usable) resolve(usable.value);
      }, patienceMs);
      lookup.then(resolve, reject).finally(() => clearTimeout(timer));
    });
  }

  #usable(loaded: Entry<V>['loaded']): Entry<V>['loaded'] {
    return loaded && this.#now() - loaded.at <= this.options.maxStaleMs ? loaded : undefined;
  }

  get size(): number {
    return this.#entries.size;
  }

  #now(): number {
    return (this.options.now ?? Date.now)();
  }
}
