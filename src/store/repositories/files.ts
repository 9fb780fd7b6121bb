// Output files: which account owns a stored output and until when it is kept.
import type { Kysely } from 'kysely';
import type { Store } from '../types.js';
import type { Database } from '../schema.js';
import { num } from '../rows.js';

export function createFileRepository(db: Kysely<Database>): Store['files'] {
  return {
    async create(f) {
      await db
        .insertInto('files')
        .values({ key: f.key, account_id: f.accountId, content_type: f.contentType, created_at: f.createdAt, expires_at: f.expiresAt })
        .execute();
    },
    async get(key) {
      const r = await db.selectFrom('files').selectAll().where('key', '=', key).executeTakeFirst();
      return r && { key: r.key, accountId: r.account_id, contentType: r.content_type, createdAt: num(r.created_at), expiresAt: num(r.expires_at) };
    },
    async deleteExpired(at) {
      const rows = await db.deleteFrom('files').where('expires_at', '<=', at).returning('key').execute();
      return rows.map((r) => r.key);
    },
  };
}
