// Callback/webhook deliveries waiting to be (re)sent.
import type { Kysely, Selectable } from 'kysely';
import type { DeliveryRecord, Store } from '../types.js';
import type { Database, DeliveriesTable } from '../schema.js';
import { isUniqueViolation, num } from '../rows.js';

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

export function createDeliveryRepository(db: Kysely<Database>, now: () => number): Store['deliveries'] {
  return {
    async create(d) {
      const rec: DeliveryRecord = { ...d, createdAt: now() };
      try {
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
      } catch (err) {
        // The same delivery id again (a retried step announcing the same event): one delivery.
        if (!isUniqueViolation(err)) throw err;
        const existing = await db.selectFrom('deliveries').selectAll().where('id', '=', d.id).executeTakeFirst();
        return existing ? deliveryFromRow(existing) : rec;
      }
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
    async claimAttempt(id, attempts, nextAttemptAt, at) {
      // Compare-and-set on the attempt count: of two processes that both saw the delivery
      // due, exactly one moves it to the next attempt and sends it.
      const r = await db
        .updateTable('deliveries')
        .set({ attempts: attempts + 1, next_attempt_at: nextAttemptAt })
        .where('id', '=', id)
        .where('status', '=', 'PENDING')
        .where('attempts', '=', attempts)
        .where('next_attempt_at', '<=', at)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
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
  };
}
