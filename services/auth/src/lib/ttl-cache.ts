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
 * `patience`, a lookup that has not answered after `afterMs` is answered by that last value too,
 * if it is no older than `maxAgeMs`, without waiting for the lookup to fail; the lookup's answer, if
 * it comes, replaces the stand-in.
 */
export class TtlCache<K, V> {
  readonly #entries = new Map<K, Entry<V>>();

  constructor(
    private readonly options: {
      ttlMs: number;
      maxStaleMs: number;
      maxEntries: number;
      patience?: { afterMs: number; maxAgeMs: number };
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
        const loaded = { value, at: this.#now() };
        entry.loaded = loaded;
        entry.value = lookup;
        // An answer that comes after its entry expired still reaches the entry that replaced it.
        const current = this.#entries.get(key);
        if (current && current !== entry && (current.loaded?.at ?? 0) < loaded.at) current.loaded = loaded;
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

  /** `lookup`, or `last` once the lookup has been patiently waited for, if `last` is recent enough. */
  #standInIfSlow(lookup: Promise<V>, last: Entry<V>['loaded']): Promise<V> {
    const { patience } = this.options;
    if (!patience || !last) return lookup;
    return new Promise<V>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        // After the event loop stalls, timers run before I/O: an answer that has already arrived
        // is read first, and wins.
        setImmediate(() => {
          if (!settled && this.#now() - last.at <= patience.maxAgeMs) resolve(last.value);
        });
      }, patience.afterMs);
      lookup.then(resolve, reject).finally(() => {
        settled = true;
        clearTimeout(timer);
      });
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
