// The embedded defaults wired together: SQLite store, table-backed queue on the same
// database, local blob directory. Layout under dataDir: likeness.db (+ -wal, -shm), blobs/.
import { join } from 'node:path';
import { openSqliteStore, type SqliteStore, type SqliteStoreOptions } from './sqlite.js';
import { createEmbeddedQueue, type EmbeddedQueue, type EmbeddedQueueOptions } from '../queue/embedded.js';
import { createLocalBlobStore, type LocalBlobStore } from '../blobs/local.js';

export interface Embedded {
  store: SqliteStore;
  queue: EmbeddedQueue;
  blobs: LocalBlobStore;
  /** Stops the queue (waiting up to graceMs for running handlers), then closes the database. */
  close(graceMs?: number): Promise<void>;
}

export async function openEmbedded(
  dataDir: string,
  opts: { store?: SqliteStoreOptions; queue?: EmbeddedQueueOptions } = {},
): Promise<Embedded> {
  const store = await openSqliteStore(join(dataDir, 'likeness.db'), opts.store);
  const queue = createEmbeddedQueue(store.db, opts.queue);
  const blobs = createLocalBlobStore(join(dataDir, 'blobs'));
  return {
    store,
    queue,
    blobs,
    async close(graceMs = 10_000) {
      await queue.stop(graceMs);
      await store.close();
    },
  };
}
