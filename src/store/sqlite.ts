// Embedded metadata store: one SQLite file through better-sqlite3 and Kysely.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, type SqliteDatabase } from 'kysely';
import type { Store } from './types.js';
import type { Database } from './schema.js';
import { openMigratedStore, type KyselyStoreOptions } from './kysely-store.js';

/** The store plus its database handle, which the embedded queue shares (createEmbeddedQueue(store.db)). */
export type SqliteStore = Store & { readonly db: Kysely<Database> };

export interface SqliteStoreOptions extends Pick<KyselyStoreOptions, 'now'> {
  /** How long a writer waits for another process's lock before SQLITE_BUSY. Default 5000 ms. */
  busyTimeoutMs?: number;
}

/**
 * Kysely's SQLite driver prepares every statement again on each call; preparing costs more
 * than running the small queries of the hot paths. Statements are cached by SQL text
 * (better-sqlite3 is synchronous, so one statement is never run twice at once; Kysely does
 * not stream here). Bounded: the oldest statement goes when the cache is full.
 */
function withStatementCache(sqlite: BetterSqlite3.Database, max = 512): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(text: string) {
      let stmt = cache.get(text);
      if (!stmt) {
        stmt = sqlite.prepare(text);
        if (cache.size >= max) cache.delete(cache.keys().next().value as string);
        cache.set(text, stmt);
      }
      return stmt as unknown as ReturnType<SqliteDatabase['prepare']>;
    },
  };
}

/**
 * Opens (creating if needed) the SQLite file, applies migrations and returns the store.
 * `close()` closes the database: stop any queue using `db` first.
 */
export async function openSqliteStore(file: string, opts: SqliteStoreOptions = {}): Promise<SqliteStore> {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const sqlite = new BetterSqlite3(file);
  try {
    // WAL: readers never block the writer; NORMAL sync is durable across process crashes
    // (only an OS crash can lose the last transactions).
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma(`busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs ?? 5000))}`);
    sqlite.pragma('foreign_keys = ON');
  } catch (err) {
    sqlite.close();
    throw err;
  }
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  // Changes only when ANOTHER connection (an admin command, a second process) commits: this
  // process's own writes go through the repositories, which keep the status cache in step.
  const dataVersion = sqlite.prepare('PRAGMA data_version').pluck();
  return openMigratedStore(db, 'sqlite', opts.now, () => dataVersion.get() as number);
}
