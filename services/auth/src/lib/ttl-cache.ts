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
 * none, the failure is, and it is forgotten at once so that the next request asks again.
 */
export class TtlCache<K, V> {
  readonly #entries = new Map<K, Entry<V>>();

  constructor(
    private readonly options: { ttlMs: number; maxStaleMs: number; maxEntries: number; now?: () => number },
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
    entry.value = load(key).then(
      (value) => {
        entry.loaded = { value, at: this.#now() };
        return value;
      },
      (error: unknown) => {
        const last = entry.loaded;
        if (last && this.#now() - last.at <= this.options.maxStaleMs) return last.value;
        if (this.#entries.get(key) === entry) this.#entries.delete(key);
        throw error;
      },
    );
    this.#entries.set(key, entry);
    return entry.value;
  }

  get size(): number {
    return this.#entries.size;
  }

  #now(): number {
    return (this.options.now ?? Date.now)();
  }
}
