// Distributed metadata store: PostgreSQL through `pg` and Kysely, the same repositories and
// migrations as SQLite. Any number of nodes share one database.
import pg from 'pg';
import { createHash } from 'node:crypto';
import { Kysely, PostgresDialect, type PostgresPool } from 'kysely';
import { PREPARED_SQL } from './prepared.js';
import type { Store } from './types.js';
import type { Database } from './schema.js';
import { openMigratedStore, type KyselyStoreOptions } from './kysely-store.js';

export type PostgresStore = Store & { readonly db: Kysely<Database> };

export interface PostgresStoreOptions extends Pick<KyselyStoreOptions, 'now'> {
  /** Connections in this process's pool. Default 10. */
  poolSize?: number;
}

// int8 (bigint: our unix-ms times, counts) as JS numbers: every value we store is a safe integer.
const INT8_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/**
 * The hot-path queries (prepared.ts) run as named statements: Postgres parses and plans them
 * once per connection instead of on every poll. Everything else goes through unchanged.
 */
function withNamedStatements(pool: pg.Pool): PostgresPool {
  const names = new Map<string, string>();
  const nameOf = (text: string) => {
    let n = names.get(text);
    if (!n) names.set(text, (n = 'lk_' + createHash('sha1').update(text).digest('hex').slice(0, 16)));
    return n;
  };
  return {
    async connect() {
      const client = await pool.connect();
      return {
        query: ((text: unknown, values?: unknown[]) =>
          typeof text === 'string' && PREPARED_SQL.has(text)
            ? client.query({ name: nameOf(text), text, values })
            : client.query(text as string, values)) as never,
        release: () => client.release(),
      };
    },
    end: () => pool.end(),
  };
}

/** Connects, applies migrations (under an advisory lock) and returns the store. */
export async function openPostgresStore(url: string, opts: PostgresStoreOptions = {}): Promise<PostgresStore> {
  const pool = new pg.Pool({ connectionString: url, max: opts.poolSize ?? 10, types });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', (err) => console.error(JSON.stringify({ msg: 'postgres pool error', error: err.message })));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: withNamedStatements(pool) }) });
  return openMigratedStore(db, 'postgres', opts.now);
}
