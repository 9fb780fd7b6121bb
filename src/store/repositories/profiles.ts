// Profiles: the training request, its per-photo reports and the trained model.
import { sql, type Kysely, type Selectable } from 'kysely';
import { ValidationFailed } from '../../errors.js';
import type { ProfilePatch, ProfileRecord, ProfileStatusRecord, Store } from '../types.js';
import type { Database, ProfilesTable } from '../schema.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { fromJson, num, strictlyIncreasing, toJson } from '../rows.js';
import { param, prepare } from '../prepared.js';
import { createBatchLoader } from '../batch-loader.js';
import { createStatusCache, type StatusCacheOptions } from '../status-cache.js';

const TERMINAL = ['READY', 'ERROR', 'INACTIVE'];

function profileFromRow(r: Selectable<ProfilesTable>): ProfileRecord {
  return {
    id: r.id,
    accountId: r.account_id,
    tag: r.tag,
    tier: r.tier as ProfileRecord['tier'],
    status: r.status as ProfileRecord['status'],
    message: r.message,
    progress: num(r.progress),
    imageUrls: fromJson(r.image_urls) as string[],
    images: fromJson(r.images) as ProfileRecord['images'],
    model: fromJson(r.model),
    subject: (r.subject ?? null) as ProfileRecord['subject'],
    runs: num(r.runs),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  };
}

function patchToRow(patch: ProfilePatch, at: number): Partial<Selectable<ProfilesTable>> {
  const set: Partial<Selectable<ProfilesTable>> = { updated_at: at };
  if (patch.status !== undefined) set.status = patch.status;
  if (patch.message !== undefined) set.message = patch.message;
  if (patch.progress !== undefined) set.progress = patch.progress;
  if (patch.images !== undefined) set.images = patch.images === null ? null : toJson(patch.images);
  if (patch.model !== undefined) set.model = patch.model === null ? null : toJson(patch.model);
  if (patch.subject !== undefined) set.subject = patch.subject;
  return set;
}

export interface ProfileRepositoryOptions {
  /**
   * Postgres: status reads that arrive while others are in flight share one query
   * (`id = any($1)`, batch-loader.ts). Each poll is a round trip to another process there;
   * SQLite reads in-process and gains nothing.
   */
  batchStatusReads?: boolean;
  /**
   * SQLite: status reads are kept in this process until this repository writes the profile or
   * another connection commits (status-cache.ts). Only where this process sees every writer.
   */
  statusCache?: StatusCacheOptions;
}

type StatusRow = Pick<Selectable<ProfilesTable>, 'id' | 'account_id' | 'status' | 'message' | 'progress' | 'images' | 'subject'>;

function statusFromRow(r: StatusRow): ProfileStatusRecord {
  return {
    id: r.id,
    status: r.status as ProfileRecord['status'],
    message: r.message,
    progress: num(r.progress),
    images: fromJson(r.images) as ProfileRecord['images'],
    subject: (r.subject ?? null) as ProfileStatusRecord['subject'],
  };
}

function batchedStatusReads(db: Kysely<Database>) {
  const statusMany = prepare(db, (d) =>
    d
      .selectFrom('profiles')
      .select(['id', 'account_id', 'status', 'message', 'progress', 'images', 'subject'])
      .where(sql<boolean>`id = any(${param(0)})`),
  );
  return createBatchLoader<string, ProfileStatusRecord & { accountId: string }>(async (ids) => {
    const rows = await statusMany.all(ids);
    return new Map(rows.map((r) => [r.id, { ...statusFromRow(r), accountId: r.account_id }]));
  });
}

export function createProfileRepository(db: Kysely<Database>, now: () => number, opts: ProfileRepositoryOptions = {}): Store['profiles'] {
  const createdAt = strictlyIncreasing(now);
  // The poll path: only the columns the status response shows (never the model's embeddings).
  const statusQuery = prepare(db, (d) =>
    d
      .selectFrom('profiles')
      .select(['id', 'account_id', 'status', 'message', 'progress', 'images', 'subject'])
      .where('id', '=', param(0))
      .where('account_id', '=', param(1)),
  );
  // The cached path reads by id alone (the account is checked per poll, so one entry serves it).
  const statusQueryById = prepare(db, (d) =>
    d.selectFrom('profiles').select(['id', 'account_id', 'status', 'message', 'progress', 'images', 'subject']).where('id', '=', param(0)),
  );
  // Batched (Postgres only: `= any` takes an array parameter). The account is checked per
  // read below, so one account's poll never sees another's profile.
  const statusBatch = opts.batchStatusReads ? batchedStatusReads(db) : undefined;
  const cache = opts.statusCache ? createStatusCache<{ accountId: string; view: ProfileStatusRecord }>(opts.statusCache) : undefined;
  /** Runs a write of profile `id`, then drops what the cache held for it (also if the write failed). */
  const writing = async <T>(id: string, write: () => Promise<T>): Promise<T> => {
    try {
      return await write();
    } finally {
      cache?.invalidate(id);
    }
  };
  const readStatus = async (id: string) => {
    const r = await statusQueryById.first(id);
    // One record object per cached read: callers may key derived data (the serialised poll) on it.
    return r && { accountId: r.account_id, view: statusFromRow(r) };
  };
  return {
    async create(p) {
      const t = createdAt();
      const rec: ProfileRecord = { ...p, subject: p.subject ?? null, runs: 0, createdAt: t, updatedAt: t };
      await writing(p.id, () => db
        .insertInto('profiles')
        .values({
          id: p.id,
          account_id: p.accountId,
          tag: p.tag,
          tier: p.tier,
          status: p.status,
          message: p.message,
          progress: p.progress,
          image_urls: toJson(p.imageUrls),
          images: p.images === null ? null : toJson(p.images),
          model: p.model === null || p.model === undefined ? null : toJson(p.model),
          subject: p.subject ?? null,
          created_at: t,
          updated_at: t,
        })
        .execute());
      return rec;
    },
    async get(accountId, id) {
      const r = await db.selectFrom('profiles').selectAll().where('id', '=', id).where('account_id', '=', accountId).executeTakeFirst();
      return r && profileFromRow(r);
    },
    async status(accountId, id) {
      if (statusBatch) {
        // Postgres refuses NUL in text: one such id must not fail the whole batch it joins.
        if (id.includes('\u0000')) return undefined;
        const r = await statusBatch.load(id);
        if (!r || r.accountId !== accountId) return undefined;
        return { id: r.id, status: r.status, message: r.message, progress: r.progress, images: r.images, subject: r.subject };
      }
      if (cache) {
        const r = await cache.get(id, () => readStatus(id));
        if (!r || r.accountId !== accountId) return undefined;
        return r.view;
      }
      const r = await statusQuery.first(id, accountId);
      return r && statusFromRow(r);
    },
    async getById(id) {
      const r = await db.selectFrom('profiles').selectAll().where('id', '=', id).executeTakeFirst();
      return r && profileFromRow(r);
    },
    async list(accountId, { tag, limit, cursor }) {
      if (!Number.isInteger(limit) || limit < 1) {
        throw new ValidationFailed([{ loc: ['query', 'limit'], msg: 'limit must be a positive integer', type: 'value_error' }]);
      }
      let q = db.selectFrom('profiles').select(['id', 'created_at']).where('account_id', '=', accountId);
      if (tag !== undefined) q = q.where('tag', '=', tag);
      if (cursor !== undefined) {
        const pos = decodeCursor(cursor);
        if (!pos) throw new ValidationFailed([{ loc: ['query', 'cursor'], msg: 'invalid cursor', type: 'value_error' }]);
        q = q.where((eb) => eb.or([eb('created_at', '<', pos.createdAt), eb.and([eb('created_at', '=', pos.createdAt), eb('id', '<', pos.id)])]));
      }
      const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        ids: page.map((r) => r.id),
        nextCursor: rows.length > limit && last ? encodeCursor({ createdAt: num(last.created_at), id: last.id }) : null,
      };
    },
    async update(id, patch, opts = {}) {
      let q = db.updateTable('profiles').set(patchToRow(patch, now())).where('id', '=', id);
      // Fenced: only the run that holds the lease (and only while training) may write.
      if (opts.runToken !== undefined) q = q.where('run_token', '=', opts.runToken).where('status', 'not in', TERMINAL);
      else if (opts.unfinished) q = q.where('status', 'not in', TERMINAL);
      const r = await writing(id, () => q.executeTakeFirst());
      return Number(r.numUpdatedRows) > 0;
    },
    // claimRun writes only the lease columns, which a status never shows: the cache keeps its entry.
    async claimRun(id, token, statuses) {
      const r = await db
        .updateTable('profiles')
        .set((eb) => ({ run_token: token, runs: eb('runs', '+', 1), updated_at: now() }))
        .where('id', '=', id)
        .where('status', 'in', statuses)
        .returningAll()
        .executeTakeFirst();
      return r && profileFromRow(r);
    },
    async delete(accountId, id) {
      // Rows that reference the profile go with it (ON DELETE CASCADE).
      const r = await writing(id, () => db.deleteFrom('profiles').where('id', '=', id).where('account_id', '=', accountId).executeTakeFirst());
      return Number(r.numDeletedRows) > 0;
    },
    async listByStatus(statuses, opts = {}) {
      if (statuses.length === 0) return [];
      let q = db.selectFrom('profiles').selectAll().where('status', 'in', statuses);
      if (opts.updatedBefore !== undefined) q = q.where('updated_at', '<', opts.updatedBefore);
      const rows = await q.orderBy('created_at', 'asc').execute();
      return rows.map(profileFromRow);
    },
  };
}
