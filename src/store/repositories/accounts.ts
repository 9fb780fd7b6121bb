// Accounts and what belongs to them: API keys (stored hashed) and webhook signing secrets.
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Account, ApiKeyRecord, Store, WebhookSecret } from '../types.js';
import type { Database } from '../schema.js';
import { isUniqueViolation, num, numOrNull } from '../rows.js';
import { newId } from '../ids.js';
import { param, prepare } from '../prepared.js';

export const hashKey = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');
export const newWebhookSecret = (): string => 'whsec_' + randomBytes(32).toString('hex');

export function createAccountRepository(db: Kysely<Database>, now: () => number): Store['accounts'] {
  return {
    async create(name) {
      const a: Account = { id: newId('acc_', 20), name, createdAt: now(), webhookUrl: null };
      await db.insertInto('accounts').values({ id: a.id, name: a.name, webhook_url: null, created_at: a.createdAt }).execute();
      return a;
    },
    async get(id) {
      const r = await db.selectFrom('accounts').select(['id', 'name', 'created_at', 'webhook_url']).where('id', '=', id).executeTakeFirst();
      return r && { id: r.id, name: r.name, createdAt: num(r.created_at), webhookUrl: r.webhook_url };
    },
    async setWebhookUrl(id, url) {
      await db.updateTable('accounts').set({ webhook_url: url }).where('id', '=', id).execute();
    },
  };
}

/**
 * How long a key lookup that found a valid key is reused. Every request authenticates, and a
 * poll loop hits the same key many times a second; a revoked key stops working on every node
 * within this time (at once on the node that revoked it).
 */
export const KEY_CACHE_MS = 500;

export function createKeyRepository(db: Kysely<Database>, now: () => number): Store['keys'] {
  // Every authenticated request runs this: compiled once.
  const byHash = prepare(db, (d) =>
    d.selectFrom('api_keys').select(['id', 'account_id', 'admin']).where('key_hash', '=', param(0)).where('revoked_at', 'is', null),
  );
  const cache = new Map<string, { found: { accountId: string; keyId: string; admin: boolean }; at: number }>();
  return {
    async create(accountId, key, name, opts = {}) {
      const rec: ApiKeyRecord = { id: newId('key_', 12), accountId, name, prefix: key.slice(0, 8), createdAt: now(), revokedAt: null, admin: opts.admin === true };
      await db
        .insertInto('api_keys')
        .values({
          id: rec.id,
          account_id: accountId,
          key_hash: hashKey(key),
          prefix: rec.prefix,
          name,
          created_at: rec.createdAt,
          revoked_at: null,
          admin: rec.admin ? 1 : 0,
        })
        .execute();
      return rec;
    },
    async findAccountByKey(key) {
      // Cached by the key itself (only in this process's memory), so a hit needs no hashing.
      const t = performance.now();
      const hit = cache.get(key);
      if (hit && t - hit.at < KEY_CACHE_MS) return hit.found;
      const r = await byHash.first(hashKey(key));
      if (!r) return undefined; // unknown keys are never cached
      const found = { accountId: r.account_id, keyId: r.id, admin: num(r.admin) === 1 };
      if (cache.size >= 10_000) cache.clear();
      cache.set(key, { found, at: t });
      return found;
    },
    async list() {
      const rows = await db.selectFrom('api_keys').selectAll().orderBy('created_at', 'asc').orderBy('id', 'asc').execute();
      return rows.map((r) => ({
        id: r.id,
        accountId: r.account_id,
        name: r.name,
        prefix: r.prefix,
        createdAt: num(r.created_at),
        revokedAt: numOrNull(r.revoked_at),
        admin: num(r.admin) === 1,
      }));
    },
    async revoke(idOrKey) {
      // Matches an existing key (revoked or not); the first revocation time is kept.
      const match = await db
        .selectFrom('api_keys')
        .select(['id', 'revoked_at'])
        .where((eb) => eb.or([eb('id', '=', idOrKey), eb('key_hash', '=', hashKey(idOrKey))]))
        .executeTakeFirst();
      if (!match) return false;
      cache.clear();
      if (match.revoked_at === null) {
        await db.updateTable('api_keys').set({ revoked_at: now() }).where('id', '=', match.id).where('revoked_at', 'is', null).execute();
      }
      return true;
    },
    async count() {
      // Usable (non-revoked) keys.
      const r = await db
        .selectFrom('api_keys')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('revoked_at', 'is', null)
        .executeTakeFirstOrThrow();
      return num(r.n);
    },
  };
}

export function createWebhookSecretRepository(db: Kysely<Database>, now: () => number): Store['webhookSecrets'] {
  async function current(accountId: string): Promise<WebhookSecret> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const row = await db
        .selectFrom('webhook_secrets')
        .selectAll()
        .where('account_id', '=', accountId)
        .where('retires_at', 'is', null)
        .executeTakeFirst();
      if (row) return { secret: row.secret, createdAt: num(row.created_at), retiresAt: null };
      const created = { account_id: accountId, secret: newWebhookSecret(), created_at: now(), retires_at: null };
      try {
        await db.insertInto('webhook_secrets').values(created).execute();
        return { secret: created.secret, createdAt: created.created_at, retiresAt: null };
      } catch (err) {
        // Someone else (maybe another node) created the current secret first: read theirs.
        if (!isUniqueViolation(err)) throw err;
      }
    }
    throw new Error('could not create a webhook secret');
  }
  return {
    current,
    async active(accountId, at) {
      const cur = await current(accountId);
      const retiring = await db
        .selectFrom('webhook_secrets')
        .selectAll()
        .where('account_id', '=', accountId)
        .where('retires_at', '>', at)
        .orderBy('retires_at', 'desc')
        .execute();
      return [cur, ...retiring.map((r) => ({ secret: r.secret, createdAt: num(r.created_at), retiresAt: numOrNull(r.retires_at) }))];
    },
    async rotate(accountId, at, graceMs) {
      return db.transaction().execute(async (tx) => {
        await tx
          .updateTable('webhook_secrets')
          .set({ retires_at: at + graceMs })
          .where('account_id', '=', accountId)
          .where('retires_at', 'is', null)
          .execute();
        const fresh = { account_id: accountId, secret: newWebhookSecret(), created_at: at, retires_at: null };
        await tx.insertInto('webhook_secrets').values(fresh).execute();
        return { secret: fresh.secret, createdAt: at, retiresAt: null };
      });
    },
  };
}

/** Installation-wide secrets every node must share (URL signing), kept in the database. */
export function createNodeSecretRepository(db: Kysely<Database>, now: () => number): Store['nodeSecrets'] {
  return {
    async getOrCreate(name, generate) {
      const read = () => db.selectFrom('node_secrets').select('value').where('name', '=', name).executeTakeFirst();
      const existing = await read();
      if (existing) return existing.value;
      // First node to get here wins; the others read its value.
      await db
        .insertInto('node_secrets')
        .values({ name, value: generate(), created_at: now() })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
      return (await read())!.value;
    },
  };
}
