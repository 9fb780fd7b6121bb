// Async studio jobs; the job row is the source of truth whichever queue carries the work.
import type { Kysely, Selectable } from 'kysely';
import { ApiError } from '../../errors.js';
import type { JobRecord, Store } from '../types.js';
import type { Database, JobsTable } from '../schema.js';
import { fromJson, isUniqueViolation, num, toJson } from '../rows.js';

/** How long a client_request_id is remembered (decisions.md #27). */
export const CLIENT_REQUEST_ID_TTL_MS = 24 * 60 * 60 * 1000;

function jobFromRow(r: Selectable<JobsTable>): JobRecord {
  return {
    id: r.id,
    accountId: r.account_id,
    kind: r.kind,
    status: r.status as JobRecord['status'],
    request: fromJson(r.request),
    result: fromJson(r.result),
    error: fromJson(r.error) as JobRecord['error'],
    callbackUrl: r.callback_url,
    clientRequestId: r.client_request_id,
    requestHash: r.request_hash,
    runs: num(r.runs),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
    expiresAt: num(r.expires_at),
  };
}

export function createJobRepository(db: Kysely<Database>, now: () => number): Store['jobs'] {
  return {
    async create(j) {
      const t = now();
      const rec: JobRecord = { ...j, runs: 0, createdAt: t, updatedAt: t };
      try {
        await db.transaction().execute(async (tx) => {
          if (j.clientRequestId !== null) {
            // Older uses of this client_request_id are no longer remembered: release the id.
            await tx
              .updateTable('jobs')
              .set({ client_request_id: null })
              .where('account_id', '=', j.accountId)
              .where('client_request_id', '=', j.clientRequestId)
              .where('created_at', '<', t - CLIENT_REQUEST_ID_TTL_MS)
              .execute();
          }
          await tx
            .insertInto('jobs')
            .values({
              id: j.id,
              account_id: j.accountId,
              kind: j.kind,
              status: j.status,
              request: toJson(j.request),
              result: j.result === null || j.result === undefined ? null : toJson(j.result),
              error: j.error === null ? null : toJson(j.error),
              callback_url: j.callbackUrl,
              client_request_id: j.clientRequestId,
              request_hash: j.requestHash,
              created_at: t,
              updated_at: t,
              expires_at: j.expiresAt,
            })
            .execute();
        });
      } catch (err) {
        if (isUniqueViolation(err) && j.clientRequestId !== null) {
          const dup = await db
            .selectFrom('jobs')
            .select('id')
            .where('account_id', '=', j.accountId)
            .where('client_request_id', '=', j.clientRequestId)
            .executeTakeFirst();
          // A concurrent request (on this node or another) claimed the same client_request_id first.
          if (dup) throw new ApiError(409, 'IDEMPOTENCY_CONFLICT', `client_request_id is already used by job ${dup.id}`);
        }
        throw err;
      }
      return rec;
    },
    async get(accountId, id) {
      const r = await db.selectFrom('jobs').selectAll().where('id', '=', id).where('account_id', '=', accountId).executeTakeFirst();
      return r && jobFromRow(r);
    },
    async getById(id) {
      const r = await db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
      return r && jobFromRow(r);
    },
    async findByClientRequestId(accountId, clientRequestId, since) {
      const r = await db
        .selectFrom('jobs')
        .selectAll()
        .where('account_id', '=', accountId)
        .where('client_request_id', '=', clientRequestId)
        .where('created_at', '>=', since)
        .orderBy('created_at', 'desc')
        .executeTakeFirst();
      return r && jobFromRow(r);
    },
    async update(id, patch, opts = {}) {
      const set: Partial<Selectable<JobsTable>> = { updated_at: now() };
      if (patch.status !== undefined) set.status = patch.status;
      if (patch.result !== undefined) set.result = patch.result === null ? null : toJson(patch.result);
      if (patch.error !== undefined) set.error = patch.error === null ? null : toJson(patch.error);
      let q = db.updateTable('jobs').set(set).where('id', '=', id);
      // Fenced: only the run holding the lease may finish the job, and only once.
      if (opts.runToken !== undefined) q = q.where('run_token', '=', opts.runToken).where('status', 'in', ['QUEUED', 'RUNNING']);
      else if (opts.unfinished) q = q.where('status', 'in', ['QUEUED', 'RUNNING']);
      const r = await q.executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
    async claimRun(id, token) {
      const r = await db
        .updateTable('jobs')
        .set((eb) => ({ status: 'RUNNING', run_token: token, runs: eb('runs', '+', 1), updated_at: now() }))
        .where('id', '=', id)
        .where('status', 'in', ['QUEUED', 'RUNNING'])
        .returningAll()
        .executeTakeFirst();
      return r && jobFromRow(r);
    },
    async listUnfinished(createdBefore, limit) {
      const rows = await db
        .selectFrom('jobs')
        .selectAll()
        .where('status', 'in', ['QUEUED', 'RUNNING'])
        .where('updated_at', '<', createdBefore)
        .orderBy('created_at', 'asc')
        .limit(limit)
        .execute();
      return rows.map(jobFromRow);
    },
    async deleteExpired(at) {
      const r = await db.deleteFrom('jobs').where('expires_at', '<=', at).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
    async listRecent(accountId, limit) {
      const rows = await db
        .selectFrom('jobs')
        .selectAll()
        .where('account_id', '=', accountId)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(Math.max(1, Math.min(1000, Math.floor(limit))))
        .execute();
      return rows.map(jobFromRow);
    },
  };
}
