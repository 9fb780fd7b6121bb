// Status polls on the embedded store: the last status read of each profile, kept in this
// process until something may have changed it. Polling is the API's hottest path and a profile's
// status changes a few times per training run, so most polls can skip SQL entirely.
//
// Correct only where every writer is visible: this process's writes go through the profile
// repository (which calls invalidate()), and other processes' commits (admin commands on the same
// SQLite file) show as a change of `externalVersion()` (SQLite's `PRAGMA data_version`), which
// drops everything. Postgres (several nodes) does not use it. Pure: no I/O of its own.

export interface StatusCacheOptions {
  /** A counter that changes whenever another connection commits. */
  externalVersion?: () => number;
  /**
   * How often `externalVersion` is read, at most (ms; default 1). Reading it costs about as much
   * as the rest of a cached poll; another process's commit is seen by polls that start this long
   * after it, which no client can tell from the commit and the poll being concurrent.
   */
  externalCheckMs?: number;
  /** Clock for the check interval (tests); default performance.now. */
  clock?: () => number;
  /** Entries kept; the oldest goes first when full. */
  max?: number;
}

export interface StatusCache<V> {
  /**
   * The cached value of `id`, or `read()`'s (cached unless a write to any profile happened while it
   * ran: a read that started before a write must not put back what the write replaced).
   */
  get(id: string, read: () => Promise<V | undefined>): Promise<V | undefined>;
  /**
   * Forget `id`. Call once the write has finished (also when it failed): reads that started
   * before then are not cached, reads that start after see the new row.
   */
  invalidate(id: string): void;
  /** Forget everything. */
  clear(): void;
  readonly size: number;
}

export function createStatusCache<V>(opts: StatusCacheOptions = {}): StatusCache<V> {
  const max = opts.max ?? 10_000;
  const entries = new Map<string, V>();
  // Bumped by every invalidation: an in-flight read compares it before caching its result.
  let generation = 0;
  let seenVersion = opts.externalVersion?.();
  const every = opts.externalCheckMs ?? 1;
  const clock = opts.clock ?? (() => performance.now());
  let checkedAt = clock();
  const checkExternal = () => {
    if (!opts.externalVersion) return;
    const t = clock();
    if (t - checkedAt < every) return;
    checkedAt = t;
    const v = opts.externalVersion();
    if (v !== seenVersion) {
      seenVersion = v;
      entries.clear();
      generation++;
    }
  };
  return {
    async get(id, read) {
      checkExternal();
      const hit = entries.get(id);
      if (hit !== undefined) return hit;
      const gen = generation;
      const value = await read();
      checkExternal();
      // Unknown ids are not cached: a profile created later must be seen at once.
      if (value !== undefined && gen === generation) {
        if (entries.size >= max) entries.delete(entries.keys().next().value as string);
        entries.set(id, value);
      }
      return value;
    },
    invalidate(id) {
      entries.delete(id);
      generation++;
    },
    clear() {
      entries.clear();
      generation++;
    },
    get size() {
      return entries.size;
    },
  };
}
