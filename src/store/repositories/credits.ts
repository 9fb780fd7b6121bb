// Prepaid credit (decisions.md #29): balances and the ledger that explains them; see
// CreditRepository in types.ts for the contract.
import { sql, type Kysely, type Selectable } from 'kysely';
import type { CreditEntry, CreditRepository, CreditReservation, CreditSettlement } from '../types.js';
import type { CreditLedgerTable, Database } from '../schema.js';
import { isUniqueViolation, num, numOrNull } from '../rows.js';
import { newId } from '../ids.js';
import { InsufficientCredit } from '../../credits/errors.js';
import { isValidMicros } from '../../credits/money.js';

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
export function createCreditRepository(db: Kysely<Database>, stamp: () => number): CreditRepository {
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
