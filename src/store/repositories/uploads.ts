// Local uploads (decisions.md "Local uploads"): whose bytes `uploads/<id>` are, and until when.
import type { Kysely } from 'kysely';
import type { Store } from '../types.js';
import type { Database } from '../schema.js';
import { num } from '../rows.js';

export function createUploadRepository(db: Kysely<Database>): Store['uploads'] {
  return {
    async create(u) {
      await db
        .insertInto('uploads')
        .values({
          id: u.id,
          account_id: u.accountId,
          content_type: u.contentType,
          bytes: u.bytes,
          width: u.width,
          height: u.height,
          created_at: u.createdAt,
          expires_at: u.expiresAt,
        })
        .execute();
    },
    async get(accountId, id) {
      const r = await db.selectFrom('uploads').selectAll().where('id', '=', id).where('account_id', '=', accountId).executeTakeFirst();
      return (
        r && {
          id: r.id,
          accountId: r.account_id,
          contentType: r.content_type,
          bytes: num(r.bytes),
          width: num(r.width),
          height: num(r.height),
          createdAt: num(r.created_at),
          expiresAt: num(r.expires_at),
        }
      );
    },
    async deleteExpired(at) {
      const rows = await db.deleteFrom('uploads').where('expires_at', '<=', at).returning('id').execute();
      return rows.map((r) => r.id);
    },
  };
}
