// The Store port over any Kysely database with our schema. Only portable SQL (no
// engine-specific functions), so the same code serves SQLite now and Postgres later.
import { createHash, randomBytes } from 'node:crypto';
import { sql, type Kysely, type Selectable } from 'kysely';
import { ApiError, ValidationFailed } from '../errors.js';
import type {
  Account,
  ApiKeyRecord,
  CreditEntry,
  CreditRepository,
  CreditReservation,
  CreditSettlement,
  DeliveryRecord,
  FileRecord,
  JobRecord,
  ProfilePatch,
  ProfileRecord,
  Store,
  WebhookSecret,
} from './types.js';
import type { CreditLedgerTable, Database, DeliveriesTable, JobsTable, ProfilesTable } from './schema.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { newId } from './ids.js';
import { InsufficientCredit } from '../credits/errors.js';
import { isValidMicros } from '../credits/money.js';

/** How long a client_request_id is remembered (decisions.md #27). */
export const CLIENT_REQUEST_ID_TTL_MS = 24 * 60 * 60 * 1000;

export const hashKey = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');
export const newWebhookSecret = (): string => 'whsec_' + randomBytes(32).toString('hex');

// Postgres returns bigint columns as strings; SQLite as numbers.
const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : num(v));
const toJson = (v: unknown): string => JSON.stringify(v ?? null);
const fromJson = (s: string | null): unknown => (s === null ? null : JSON.parse(s));

export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}

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
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  };
}

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
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
    expiresAt: num(r.expires_at),
  };
}

function deliveryFromRow(r: Selectable<DeliveriesTable>): DeliveryRecord {
  return {
    id: r.id,
    accountId: r.account_id,
    url: r.url,
    body: r.body,
    attempts: num(r.attempts),
    nextAttemptAt: num(r.next_attempt_at),
    status: r.status as DeliveryRecord['status'],
    lastError: r.last_error,
    createdAt: num(r.created_at),
  };
}

function creditEntryFromRow(r: Selectable<CreditLedgerTable>): CreditEntry {
  return {
    id: r.id,
    accountId: r.account_id,
    kind: r.kind as CreditEntry['kind'],
    amountMicros: num(r.amount),
    reservationId: r.reservation_id,
    reference: r.reference,
    note: r.note,
    createdAt: num(r.created_at),
  };
}

function assertMicros(name: string, v: number): void {
  if (!isValidMicros(v)) throw new RangeError(`${name} must be a non-negative integer of micro-dollars, got ${v}`);
}

/** The credit repository (decisions.md #29); see CreditRepository for the contract. */
function createCreditRepository(db: Kysely<Database>, stamp: () => number): CreditRepository {
  // A reservation is its reserve entry (amount < 0) plus, once closed, the entry whose
  // reservation_id points at it.
  const reservationQuery = () =>
    db
      .selectFrom('credit_ledger as r')
      .leftJoin('credit_ledger as c', 'c.reservation_id', 'r.id')
      .select([
        'r.id as id',
        'r.account_id as account_id',
        'r.amount as amount',
        'r.reference as reference',
        'r.created_at as created_at',
        'c.kind as close_kind',
        'c.amount as close_amount',
        'c.created_at as closed_at',
      ])
      .where('r.kind', '=', 'reserve');
  type ReservationRow = Awaited<ReturnType<ReturnType<typeof reservationQuery>['executeTakeFirstOrThrow']>>;
  const reservationFromRow = (r: ReservationRow): CreditReservation => {
    const held = -num(r.amount);
    const state = r.close_kind === null ? 'open' : r.close_kind === 'refund' ? 'refunded' : 'settled';
    return {
      id: r.id,
      accountId: r.account_id,
      amountMicros: held,
      reference: r.reference,
      state,
      chargedMicros: r.close_kind === null ? null : held - num(r.close_amount),
      createdAt: num(r.created_at),
      closedAt: numOrNull(r.closed_at),
    };
  };

  /**
   * Closes a reservation once. The closing entry is inserted first (INSERT ... SELECT from the
   * reserve entry), so the transaction's first statement writes: SQLite takes its write lock at
   * once, and the unique index on reservation_id turns any second close into a replay.
   */
  async function close(reservationId: string, kind: 'settle' | 'refund', actualMicros: number): Promise<CreditSettlement> {
    const closeId = newId('cre_', 20);
    const held = sql<number>`(0 - r.amount)`;
    // Amount returned to the balance: all of it on refund, the unspent part on settle.
    const back =
      kind === 'refund'
        ? held
        : sql<number>`case when ${held} > cast(${actualMicros} as bigint) then ${held} - cast(${actualMicros} as bigint) else 0 end`;
    try {
      const closed = await db.transaction().execute(async (tx) => {
        const ins = await tx
          .insertInto('credit_ledger')
          .columns(['id', 'account_id', 'kind', 'amount', 'reservation_id', 'reference', 'note', 'created_at'])
          .expression(
            tx
              .selectFrom('credit_ledger as r')
              .select([
                sql<string>`cast(${closeId} as text)`.as('id'),
                'r.account_id',
                sql<string>`cast(${kind} as text)`.as('kind'),
                back.as('amount'),
                'r.id as reservation_id',
                'r.reference',
                sql<string | null>`cast(${null} as text)`.as('note'),
                sql<number>`cast(${stamp()} as bigint)`.as('created_at'),
              ])
              .where('r.id', '=', reservationId)
              .where('r.kind', '=', 'reserve'),
          )
          .executeTakeFirst();
        if (Number(ins.numInsertedOrUpdatedRows ?? 0) === 0) return false;
        const entry = await tx.selectFrom('credit_ledger').select(['account_id', 'amount']).where('id', '=', closeId).executeTakeFirstOrThrow();
        const amount = num(entry.amount);
        if (amount !== 0) {
          await tx
            .updateTable('accounts')
            .set((eb) => ({ credit_micros: eb('credit_micros', '+', amount) }))
            .where('id', '=', entry.account_id)
            .execute();
        }
        return true;
      });
      if (!closed) throw new Error(`unknown credit reservation ${reservationId}`);
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      // Already closed (a retry, or a concurrent close that won): report what happened then.
      const prior = await reservationQuery().where('r.id', '=', reservationId).executeTakeFirst();
      if (!prior || prior.close_kind === null) throw err;
      return settlementOf(reservationFromRow(prior), true);
    }
    const now = await reservationQuery().where('r.id', '=', reservationId).executeTakeFirstOrThrow();
    return settlementOf(reservationFromRow(now), false);
  }

  const settlementOf = (r: CreditReservation, replayed: boolean): CreditSettlement => ({
    reservationId: r.id,
    accountId: r.accountId,
    state: r.state === 'refunded' ? 'refunded' : 'settled',
    chargedMicros: r.chargedMicros ?? 0,
    refundedMicros: r.amountMicros - (r.chargedMicros ?? 0),
    replayed,
  });

  return {
    async balance(accountId) {
      const r = await db.selectFrom('accounts').select('credit_micros').where('id', '=', accountId).executeTakeFirst();
      return r ? num(r.credit_micros) : 0;
    },

    async reserve(accountId, amountMicros, reference) {
      assertMicros('amountMicros', amountMicros);
      const id = newId('res_', 20);
      // Check and decrement in one UPDATE: two reservations can never both see the same balance.
      const held = await db.transaction().execute(async (tx) => {
        const upd = await tx
          .updateTable('accounts')
          .set((eb) => ({ credit_micros: eb('credit_micros', '-', amountMicros) }))
          .where('id', '=', accountId)
          .where('credit_micros', '>=', amountMicros)
          .executeTakeFirst();
        if (Number(upd.numUpdatedRows) !== 1) return false;
        await tx
          .insertInto('credit_ledger')
          .values({
            id,
            account_id: accountId,
            kind: 'reserve',
            amount: -amountMicros,
            reservation_id: null,
            reference,
            note: null,
            created_at: stamp(),
          })
          .execute();
        return true;
      });
      if (held) return id;
      const acc = await db.selectFrom('accounts').select('credit_micros').where('id', '=', accountId).executeTakeFirst();
      if (!acc) throw new Error(`unknown account ${accountId}`);
      throw new InsufficientCredit(num(acc.credit_micros), amountMicros);
    },

    async settle(reservationId, actualMicros) {
      assertMicros('actualMicros', actualMicros);
      return close(reservationId, 'settle', actualMicros);
    },

    async refund(reservationId) {
      return close(reservationId, 'refund', 0);
    },

    async grant(accountId, amountMicros, note) {
      assertMicros('amountMicros', amountMicros);
      return db.transaction().execute(async (tx) => {
        const upd = await tx
          .updateTable('accounts')
          .set((eb) => ({ credit_micros: eb('credit_micros', '+', amountMicros) }))
          .where('id', '=', accountId)
          .executeTakeFirst();
        if (Number(upd.numUpdatedRows) !== 1) throw new Error(`unknown account ${accountId}`);
        await tx
          .insertInto('credit_ledger')
          .values({
            id: newId('cre_', 20),
            account_id: accountId,
            kind: 'grant',
            amount: amountMicros,
            reservation_id: null,
            reference: null,
            note,
            created_at: stamp(),
          })
          .execute();
        const r = await tx.selectFrom('accounts').select('credit_micros').where('id', '=', accountId).executeTakeFirstOrThrow();
        return num(r.credit_micros);
      });
    },

    async ledger(accountId, limit) {
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new RangeError(`limit must be an integer from 1 to 1000, got ${limit}`);
      const rows = await db
        .selectFrom('credit_ledger')
        .selectAll()
        .where('account_id', '=', accountId)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
      return rows.map(creditEntryFromRow);
    },

    async reservation(reservationId) {
      const r = await reservationQuery().where('r.id', '=', reservationId).executeTakeFirst();
      return r && reservationFromRow(r);
    },

    async openReservations(before, limit, accountId) {
      if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
      let q = reservationQuery();
      if (accountId !== undefined) q = q.where('r.account_id', '=', accountId);
      const rows = await q
        .where('c.id', 'is', null)
        .where('r.created_at', '<', before)
        .orderBy('r.created_at', 'asc')
        .limit(limit)
        .execute();
      return rows.map(reservationFromRow);
    },
  };
}

export interface KyselyStoreOptions {
  /** Clock, unix ms (tests may pin it). */
  now?: () => number;
  /** Called by close() after the store stops (e.g. db.destroy()). */
  onClose?: () => Promise<void>;
}

export function createKyselyStore(db: Kysely<Database>, opts: KyselyStoreOptions = {}): Store {
  const now = opts.now ?? Date.now;
  // Profiles are listed newest first; give each profile created by this process a
  // distinct creation time so two created in the same millisecond still have an order.
  let lastProfileCreatedAt = 0;
  const profileCreatedAt = (): number => {
    lastProfileCreatedAt = Math.max(now(), lastProfileCreatedAt + 1);
    return lastProfileCreatedAt;
  };
  // Same for credit ledger entries, so a ledger reads in the order things happened.
  let lastCreditAt = 0;
  const creditStamp = (): number => {
    lastCreditAt = Math.max(now(), lastCreditAt + 1);
    return lastCreditAt;
  };

  async function currentSecret(accountId: string): Promise<WebhookSecret> {
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
        // Someone else created the current secret first: read theirs.
        if (!isUniqueViolation(err)) throw err;
      }
    }
    throw new Error('could not create a webhook secret');
  }

  const store: Store = {
    accounts: {
      async create(name) {
        const a: Account = { id: newId('acc_', 20), name, createdAt: now(), webhookUrl: null };
        await db
          .insertInto('accounts')
          .values({ id: a.id, name: a.name, webhook_url: null, created_at: a.createdAt })
          .execute();
        return a;
      },
      async get(id) {
        const r = await db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
        return r && { id: r.id, name: r.name, createdAt: num(r.created_at), webhookUrl: r.webhook_url };
      },
      async setWebhookUrl(id, url) {
        await db.updateTable('accounts').set({ webhook_url: url }).where('id', '=', id).execute();
      },
    },

    keys: {
      async create(accountId, key, name, opts = {}) {
        const rec: ApiKeyRecord = {
          id: newId('key_', 12),
          accountId,
          name,
          prefix: key.slice(0, 8),
          createdAt: now(),
          revokedAt: null,
          admin: opts.admin === true,
        };
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
        const r = await db
          .selectFrom('api_keys')
          .select(['id', 'account_id', 'admin'])
          .where('key_hash', '=', hashKey(key))
          .where('revoked_at', 'is', null)
          .executeTakeFirst();
        return r && { accountId: r.account_id, keyId: r.id, admin: num(r.admin) === 1 };
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
    },

    webhookSecrets: {
      current: currentSecret,
      async active(accountId, at) {
        const cur = await currentSecret(accountId);
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
    },

    profiles: {
      async create(p) {
        const t = profileCreatedAt();
        const rec: ProfileRecord = { ...p, createdAt: t, updatedAt: t };
        await db
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
            created_at: t,
            updated_at: t,
          })
          .execute();
        return rec;
      },
      async get(accountId, id) {
        const r = await db.selectFrom('profiles').selectAll().where('id', '=', id).where('account_id', '=', accountId).executeTakeFirst();
        return r && profileFromRow(r);
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
          q = q.where((eb) =>
            eb.or([eb('created_at', '<', pos.createdAt), eb.and([eb('created_at', '=', pos.createdAt), eb('id', '<', pos.id)])]),
          );
        }
        const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
        const page = rows.slice(0, limit);
        const last = page[page.length - 1];
        return {
          ids: page.map((r) => r.id),
          nextCursor: rows.length > limit && last ? encodeCursor({ createdAt: num(last.created_at), id: last.id }) : null,
        };
      },
      async update(id, patch: ProfilePatch) {
        const set: Partial<Selectable<ProfilesTable>> = { updated_at: now() };
        if (patch.status !== undefined) set.status = patch.status;
        if (patch.message !== undefined) set.message = patch.message;
        if (patch.progress !== undefined) set.progress = patch.progress;
        if (patch.images !== undefined) set.images = patch.images === null ? null : toJson(patch.images);
        if (patch.model !== undefined) set.model = patch.model === null ? null : toJson(patch.model);
        await db.updateTable('profiles').set(set).where('id', '=', id).execute();
      },
      async delete(accountId, id) {
        // Rows that reference the profile go with it (ON DELETE CASCADE).
        const r = await db.deleteFrom('profiles').where('id', '=', id).where('account_id', '=', accountId).executeTakeFirst();
        return Number(r.numDeletedRows) > 0;
      },
      async listByStatus(statuses) {
        if (statuses.length === 0) return [];
        const rows = await db.selectFrom('profiles').selectAll().where('status', 'in', statuses).orderBy('created_at', 'asc').execute();
        return rows.map(profileFromRow);
      },
    },

    jobs: {
      async create(j) {
        const t = now();
        const rec: JobRecord = { ...j, createdAt: t, updatedAt: t };
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
            if (dup) {
              // A concurrent request claimed the same client_request_id first.
              throw new ApiError(409, 'IDEMPOTENCY_CONFLICT', `client_request_id is already used by job ${dup.id}`);
            }
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
      async update(id, patch) {
        const set: Partial<Selectable<JobsTable>> = { updated_at: now() };
        if (patch.status !== undefined) set.status = patch.status;
        if (patch.result !== undefined) set.result = patch.result === null ? null : toJson(patch.result);
        if (patch.error !== undefined) set.error = patch.error === null ? null : toJson(patch.error);
        await db.updateTable('jobs').set(set).where('id', '=', id).execute();
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
    },

    uploads: {
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
    },

    files: {
      async create(f: FileRecord) {
        await db
          .insertInto('files')
          .values({ key: f.key, account_id: f.accountId, content_type: f.contentType, created_at: f.createdAt, expires_at: f.expiresAt })
          .execute();
      },
      async get(key) {
        const r = await db.selectFrom('files').selectAll().where('key', '=', key).executeTakeFirst();
        return (
          r && { key: r.key, accountId: r.account_id, contentType: r.content_type, createdAt: num(r.created_at), expiresAt: num(r.expires_at) }
        );
      },
      async deleteExpired(at) {
        const rows = await db.deleteFrom('files').where('expires_at', '<=', at).returning('key').execute();
        return rows.map((r) => r.key);
      },
    },

    deliveries: {
      async create(d) {
        const rec: DeliveryRecord = { ...d, createdAt: now() };
        await db
          .insertInto('deliveries')
          .values({
            id: d.id,
            account_id: d.accountId,
            url: d.url,
            body: d.body,
            attempts: d.attempts,
            next_attempt_at: d.nextAttemptAt,
            status: d.status,
            last_error: d.lastError,
            created_at: rec.createdAt,
          })
          .execute();
        return rec;
      },
      async due(at, limit) {
        const rows = await db
          .selectFrom('deliveries')
          .selectAll()
          .where('status', '=', 'PENDING')
          .where('next_attempt_at', '<=', at)
          .orderBy('next_attempt_at', 'asc')
          .orderBy('created_at', 'asc')
          .limit(limit)
          .execute();
        return rows.map(deliveryFromRow);
      },
      async update(id, patch) {
        const set: Partial<Selectable<DeliveriesTable>> = {};
        if (patch.attempts !== undefined) set.attempts = patch.attempts;
        if (patch.nextAttemptAt !== undefined) set.next_attempt_at = patch.nextAttemptAt;
        if (patch.status !== undefined) set.status = patch.status;
        if (patch.lastError !== undefined) set.last_error = patch.lastError;
        if (Object.keys(set).length === 0) return;
        await db.updateTable('deliveries').set(set).where('id', '=', id).execute();
      },
      async get(id) {
        const r = await db.selectFrom('deliveries').selectAll().where('id', '=', id).executeTakeFirst();
        return r && deliveryFromRow(r);
      },
    },

    credits: createCreditRepository(db, creditStamp),

    async close() {
      await opts.onClose?.();
    },
  };
  return store;
}
