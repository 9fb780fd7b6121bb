// Which adapters a test run uses. `LIKENESS_TEST_DISTRIBUTED=1` (set by scripts/test.mjs for
// the second pass) runs the same tests on PostgreSQL, Redis and S3 (s3rver in-process, or a
// real S3/MinIO when LIKENESS_TEST_S3_* is set). Every test database is created fresh
// (likeness_t_<random>) and dropped afterwards; every Redis key prefix is unique and deleted.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Redis } from 'ioredis';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { openPostgresStore } from '../../src/store/postgres.js';
import type { Store } from '../../src/store/types.js';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/store/schema.js';

export const DISTRIBUTED = process.env.LIKENESS_TEST_DISTRIBUTED === '1';
export const PG_ADMIN_URL = process.env.LIKENESS_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.LIKENESS_TEST_REDIS_URL || 'redis://127.0.0.1:6379';

const suffix = () => randomBytes(6).toString('hex');

/** A fresh, empty Postgres database; drop() removes it (and ends its connections). */
export async function createTestDatabase(): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = `likeness_t_${suffix()}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    name,
    async drop() {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      try {
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** A unique Redis key prefix; cleanup() deletes every key under it (never FLUSHALL). */
export function createRedisPrefix(): { prefix: string; cleanup(): Promise<void> } {
  const prefix = `likeness_t_${suffix()}`;
  return {
    prefix,
    async cleanup() {
      const r = new Redis(REDIS_URL, { maxRetriesPerRequest: 3, lazyConnect: true });
      try {
        await r.connect();
        let cursor = '0';
        do {
          const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
          cursor = next;
          if (keys.length > 0) await r.del(...keys);
        } while (cursor !== '0');
      } finally {
        r.disconnect();
      }
    },
  };
}

export type TestStore = Store & { readonly db: Kysely<Database>; readonly dialect: 'sqlite' | 'postgres' };

/**
 * A store on this run's backend: a new SQLite file, or a new Postgres database. close() also
 * removes the file or drops the database.
 */
export async function openTestStore(opts: { now?: () => number } = {}): Promise<TestStore> {
  if (DISTRIBUTED) {
    const database = await createTestDatabase();
    const s = await openPostgresStore(database.url, opts);
    const close = s.close.bind(s);
    return Object.assign(s, {
      dialect: 'postgres' as const,
      async close() {
        await close();
        await database.drop();
      },
    });
  }
  const dir = await mkdtemp(join(tmpdir(), 'likeness-store-'));
  const s = await openSqliteStore(join(dir, 'likeness.db'), opts);
  const close = s.close.bind(s);
  return Object.assign(s, {
    dialect: 'sqlite' as const,
    async close() {
      await close();
      await rm(dir, { recursive: true, force: true });
    },
  });
}
