// Coalesces concurrent point reads into batched reads (one query for many keys). Used where
// each read is a network round trip (Postgres status polls): under load, the requests that
// arrive while earlier reads are in flight share the next query instead of taking one each.
//
// Freshness is that of an uncached read: a batch is only sent after every read it answers was
// asked for, so a result never predates its request (no staleness bound to document). Pure
// scheduling; the I/O is the caller's `loadMany`.

export interface BatchLoaderOptions {
  /** Batches in flight at once (each holds one database connection). Default 2. */
  maxInFlight?: number;
  /** Most distinct keys in one batch. Default 200. */
  maxKeys?: number;
}

export interface BatchLoader<K, V> {
  load(key: K): Promise<V | undefined>;
}

interface Waiting<K, V> {
  key: K;
  resolve: (v: V | undefined) => void;
  reject: (err: unknown) => void;
}

export function createBatchLoader<K, V>(loadMany: (keys: K[]) => Promise<Map<K, V>>, opts: BatchLoaderOptions = {}): BatchLoader<K, V> {
  const maxInFlight = Math.max(1, opts.maxInFlight ?? 2);
  const maxKeys = Math.max(1, opts.maxKeys ?? 200);
  let waiting: Array<Waiting<K, V>> = [];
  let inFlight = 0;
  let scheduled = false;

  function take(): Array<Waiting<K, V>> {
    // Up to maxKeys distinct keys, in arrival order; repeats of a taken key ride along.
    const keys = new Set<K>();
    const batch: Array<Waiting<K, V>> = [];
    const rest: Array<Waiting<K, V>> = [];
    for (const w of waiting) {
      if (keys.has(w.key) || keys.size < maxKeys) {
        keys.add(w.key);
        batch.push(w);
      } else rest.push(w);
    }
    waiting = rest;
    return batch;
  }

  function send(): void {
    scheduled = false;
    while (inFlight < maxInFlight && waiting.length > 0) {
      const batch = take();
      inFlight++;
      void loadMany([...new Set(batch.map((w) => w.key))]).then(
        (found) => {
          for (const w of batch) w.resolve(found.get(w.key));
        },
        (err: unknown) => {
          for (const w of batch) w.reject(err);
        },
      ).finally(() => {
        inFlight--;
        if (waiting.length > 0) schedule();
      });
    }
  }

  // setImmediate, not a microtask: requests read from other sockets in the same turn of the
  // event loop join the batch.
  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    setImmediate(send);
  }

  return {
    load(key) {
      return new Promise<V | undefined>((resolve, reject) => {
        waiting.push({ key, resolve, reject });
        if (inFlight < maxInFlight) schedule();
      });
    },
  };
}
