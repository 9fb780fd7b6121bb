// The credit repository against the real store: SQLite in a temp dir, or a fresh Postgres
// database in the distributed pass (tests about the SQLite file itself run only on SQLite).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, sql } from 'kysely';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite.js';
import { migrationProvider } from '../../src/store/migrations.js';
import { ApiError } from '../../src/errors.js';
import { InsufficientCredit } from '../../src/credits/errors.js';
import { DISTRIBUTED, openTestStore } from '../support/backends.js';

const SQLITE_ONLY = { skip: DISTRIBUTED ? 'about the SQLite file' : false };

let dir: string;
let file: string;
let store: Pick<SqliteStore, 'accounts' | 'credits' | 'db' | 'close'>;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'likeness-credits-'));
  file = join(dir, 'likeness.db');
  store = DISTRIBUTED ? await openTestStore() : await openSqliteStore(file);
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function funded(micros: number): Promise<string> {
  const a = await store.accounts.create('credits test');
  if (micros > 0) await store.credits.grant(a.id, micros, 'test funding');
  return a.id;
}

/** The ledger of an account must always add up to its balance. */
async function assertLedgerMatchesBalance(accountId: string): Promise<void> {
  const entries = await store.credits.ledger(accountId, 1000);
  const sum = entries.reduce((s, e) => s + e.amountMicros, 0);
  assert.equal(sum, await store.credits.balance(accountId), 'ledger sum = balance');
}

test('a new account has a zero balance; grant tops it up and is in the ledger', async () => {
  const id = await funded(0);
  assert.equal(await store.credits.balance(id), 0);
  assert.equal(await store.credits.grant(id, 5_000_000, 'top-up'), 5_000_000);
  assert.equal(await store.credits.grant(id, 250_000, null), 5_250_000);
  const entries = await store.credits.ledger(id, 10);
  assert.deepEqual(
    entries.map((e) => [e.kind, e.amountMicros, e.note]),
    [
      ['grant', 250_000, null],
      ['grant', 5_000_000, 'top-up'],
    ],
  );
  assert.equal(await store.credits.balance('acc_nosuchaccount'), 0);
  await assert.rejects(store.credits.grant('acc_nosuchaccount', 1, null), /unknown account/);
});

test('reserve holds the amount; settle charges the actual cost and returns the rest', async () => {
  const id = await funded(1_000_000);
  const res = await store.credits.reserve(id, 260_000, 'job_a');
  assert.equal(await store.credits.balance(id), 740_000);
  assert.deepEqual(
    { ...(await store.credits.reservation(res)), createdAt: 0 },
    { id: res, accountId: id, amountMicros: 260_000, reference: 'job_a', state: 'open', chargedMicros: null, createdAt: 0, closedAt: null },
  );
  const s = await store.credits.settle(res, 230_000);
  assert.deepEqual(s, { reservationId: res, accountId: id, state: 'settled', chargedMicros: 230_000, refundedMicros: 30_000, replayed: false });
  assert.equal(await store.credits.balance(id), 770_000);
  const r = await store.credits.reservation(res);
  assert.equal(r?.state, 'settled');
  assert.equal(r?.chargedMicros, 230_000);
  assert.ok(r?.closedAt !== null && r!.closedAt >= r!.createdAt);
  const [closing] = await store.credits.ledger(id, 1);
  assert.equal(closing.kind, 'settle');
  assert.equal(closing.reservationId, res);
  assert.equal(closing.reference, 'job_a');
  assert.equal(closing.amountMicros, 30_000);
  await assertLedgerMatchesBalance(id);
});

test('settling for the full reservation or nothing, and capping above it', async () => {
  const id = await funded(1_000_000);
  const full = await store.credits.reserve(id, 300_000, 'full');
  assert.equal((await store.credits.settle(full, 300_000)).refundedMicros, 0);
  const none = await store.credits.reserve(id, 300_000, 'none');
  assert.equal((await store.credits.settle(none, 0)).chargedMicros, 0);
  const over = await store.credits.reserve(id, 100_000, 'over');
  const s = await store.credits.settle(over, 999_000);
  assert.equal(s.chargedMicros, 100_000, 'never charges more than was reserved');
  assert.equal(await store.credits.balance(id), 1_000_000 - 300_000 - 100_000);
  await assertLedgerMatchesBalance(id);
});

test('refund returns the whole reservation', async () => {
  const id = await funded(500_000);
  const res = await store.credits.reserve(id, 450_000, 'req_1');
  assert.equal(await store.credits.balance(id), 50_000);
  const r = await store.credits.refund(res);
  assert.deepEqual(r, { reservationId: res, accountId: id, state: 'refunded', chargedMicros: 0, refundedMicros: 450_000, replayed: false });
  assert.equal(await store.credits.balance(id), 500_000);
  assert.equal((await store.credits.reservation(res))?.state, 'refunded');
  await assertLedgerMatchesBalance(id);
});

test('short balance → 402 INSUFFICIENT_CREDIT, balance and ledger unchanged', async () => {
  const id = await funded(100_000);
  const before = await store.credits.ledger(id, 100);
  await assert.rejects(store.credits.reserve(id, 260_000, 'job_short'), (err: unknown) => {
    assert.ok(err instanceof ApiError);
    assert.ok(err instanceof InsufficientCredit);
    assert.equal(err.status, 402);
    assert.equal(err.code, 'INSUFFICIENT_CREDIT');
    assert.match(err.detail, /\$0\.26/);
    assert.match(err.detail, /\$0\.10/);
    assert.equal(err.balanceMicros, 100_000);
    assert.equal(err.costMicros, 260_000);
    return true;
  });
  assert.equal(await store.credits.balance(id), 100_000);
  assert.deepEqual(await store.credits.ledger(id, 100), before);
  // Exactly the balance is enough.
  await store.credits.reserve(id, 100_000, 'job_exact');
  assert.equal(await store.credits.balance(id), 0);
  await assert.rejects(store.credits.reserve(id, 1, 'job_1'), InsufficientCredit);
});

test('an unknown account is an error, not a 402', async () => {
  await assert.rejects(store.credits.reserve('acc_nosuchaccount', 1, 'x'), (err: unknown) => {
    assert.ok(!(err instanceof ApiError));
    assert.match(String(err), /unknown account/);
    return true;
  });
});

test('amounts must be non-negative integers of micros', async () => {
  const id = await funded(1_000_000);
  for (const bad of [-1, 0.5, Number.NaN, Infinity]) {
    await assert.rejects(store.credits.reserve(id, bad, 'x'), RangeError, String(bad));
    await assert.rejects(store.credits.grant(id, bad, null), RangeError, String(bad));
  }
  const res = await store.credits.reserve(id, 10, 'x');
  await assert.rejects(store.credits.settle(res, -5), RangeError);
  assert.equal((await store.credits.reservation(res))?.state, 'open');
  assert.equal(await store.credits.balance(id), 999_990);
});

test('settle and refund are idempotent: a retry never refunds twice', async () => {
  const id = await funded(1_000_000);
  const res = await store.credits.reserve(id, 400_000, 'job_retry');
  const first = await store.credits.settle(res, 150_000);
  assert.equal(first.replayed, false);
  assert.equal(await store.credits.balance(id), 850_000);

  const again = await store.credits.settle(res, 0); // a retry with another amount changes nothing
  assert.deepEqual(again, { ...first, replayed: true });
  const refundAfter = await store.credits.refund(res);
  assert.deepEqual(refundAfter, { ...first, replayed: true });
  assert.equal(await store.credits.balance(id), 850_000);

  const res2 = await store.credits.reserve(id, 200_000, 'job_retry2');
  await store.credits.refund(res2);
  const twice = await store.credits.refund(res2);
  assert.equal(twice.replayed, true);
  assert.equal((await store.credits.settle(res2, 200_000)).state, 'refunded');
  assert.equal(await store.credits.balance(id), 850_000);
  assert.equal((await store.credits.ledger(id, 100)).filter((e) => e.reservationId === res2).length, 1);
  await assertLedgerMatchesBalance(id);
});

test('racing closes of one reservation: exactly one takes effect', async () => {
  const id = await funded(1_000_000);
  const res = await store.credits.reserve(id, 500_000, 'job_race');
  const outcomes = await Promise.all([
    store.credits.refund(res),
    store.credits.settle(res, 100_000),
    store.credits.refund(res),
    store.credits.settle(res, 200_000),
  ]);
  const effective = outcomes.filter((o) => !o.replayed);
  assert.equal(effective.length, 1);
  for (const o of outcomes) assert.deepEqual({ ...o, replayed: false }, effective[0]);
  assert.equal(await store.credits.balance(id), 1_000_000 - effective[0].chargedMicros);
  await assertLedgerMatchesBalance(id);
});

test('a settle retried after a restart (new connection) does not refund again', SQLITE_ONLY, async () => {
  const id = await funded(1_000_000);
  const res = await store.credits.reserve(id, 300_000, 'job_crash');
  await store.credits.settle(res, 100_000);
  const reopened = await openSqliteStore(file);
  try {
    const retry = await reopened.credits.settle(res, 100_000);
    assert.equal(retry.replayed, true);
    assert.equal((await reopened.credits.refund(res)).replayed, true);
    assert.equal(await reopened.credits.balance(id), 900_000);
  } finally {
    await reopened.close();
  }
});

test('unknown reservation ids are errors', async () => {
  await assert.rejects(store.credits.settle('res_nosuchreservation', 0), /unknown credit reservation/);
  await assert.rejects(store.credits.refund('res_nosuchreservation'), /unknown credit reservation/);
  // A grant entry's id is not a reservation either.
  const id = await funded(1_000);
  const [grant] = await store.credits.ledger(id, 1);
  await assert.rejects(store.credits.refund(grant.id), /unknown credit reservation/);
  assert.equal(await store.credits.balance(id), 1_000);
  assert.equal(await store.credits.reservation(grant.id), undefined);
});

test('20 concurrent reserves on a balance that fits 10 → exactly 10 succeed', async () => {
  const id = await funded(10 * 130_000);
  const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => store.credits.reserve(id, 130_000, `job_${i}`)));
  const ok = results.filter((r) => r.status === 'fulfilled');
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  assert.equal(ok.length, 10);
  assert.equal(failed.length, 10);
  for (const f of failed) assert.ok(f.reason instanceof InsufficientCredit, String(f.reason));
  assert.equal(await store.credits.balance(id), 0);
  assert.equal(new Set(ok.map((r) => (r as PromiseFulfilledResult<string>).value)).size, 10);
  await assertLedgerMatchesBalance(id);
});

test('concurrent reserves from separate connections in separate threads never overdraw', SQLITE_ONLY, async () => {
  const id = await funded(10 * 100_000);
  // Each worker thread opens its own connection to the same file, as separate processes would.
  const code = `
    const { workerData, parentPort } = require('node:worker_threads');
    (async () => {
      const { openSqliteStore } = await import(workerData.storeUrl);
      const store = await openSqliteStore(workerData.file);
      const out = await Promise.all(Array.from({ length: workerData.n }, (_, i) =>
        store.credits.reserve(workerData.account, workerData.amount, 'w' + i).then(
          (id) => ({ ok: id }),
          (e) => ({ err: e && e.name, message: String(e && e.message) }))));
      await store.close();
      parentPort.postMessage(out);
    })().catch((e) => parentPort.postMessage([{ err: 'fatal', message: String(e && e.stack || e) }]));`;
  const storeUrl = pathToFileURL(join(import.meta.dirname, '../../src/store/sqlite.js')).href;
  const run = () =>
    new Promise<Array<{ ok?: string; err?: string; message?: string }>>((resolve, reject) => {
      const w = new Worker(code, { eval: true, workerData: { storeUrl, file, account: id, amount: 100_000, n: 10 } });
      w.once('message', (m) => {
        resolve(m);
        void w.terminate();
      });
      w.once('error', reject);
    });
  const all = (await Promise.all([run(), run(), run()])).flat();
  const errs = all.filter((r) => r.err && r.err !== 'InsufficientCredit');
  assert.deepEqual(errs, [], 'only 402s may fail');
  assert.equal(all.filter((r) => r.ok).length, 10);
  assert.equal(all.filter((r) => r.err === 'InsufficientCredit').length, 20);
  assert.equal(await store.credits.balance(id), 0);
  await assertLedgerMatchesBalance(id);
});

test('openReservations lists only reservations still held', async () => {
  const id = await funded(1_000_000);
  const a = await store.credits.reserve(id, 1_000, 'open_a');
  const b = await store.credits.reserve(id, 2_000, 'open_b');
  const c = await store.credits.reserve(id, 3_000, 'open_c');
  await store.credits.settle(b, 1_000);
  await store.credits.refund(c);
  const open = await store.credits.openReservations(Date.now() + 60_000, 100, id);
  assert.deepEqual(
    open.map((r) => [r.id, r.amountMicros, r.state]),
    [[a, 1_000, 'open']],
  );
  assert.deepEqual(await store.credits.openReservations(0, 100, id), [], 'none made before time 0');
  assert.ok((await store.credits.openReservations(Date.now() + 60_000, 1000)).some((r) => r.id === a));
});

test('the database itself refuses a negative balance', async () => {
  const id = await funded(5);
  await assert.rejects(sql`update accounts set credit_micros = -1 where id = ${id}`.execute(store.db), /CHECK constraint|check constraint/i);
  assert.equal(await store.credits.balance(id), 5);
});

test('migrating an existing database gives existing accounts a zero balance', SQLITE_ONLY, async () => {
  const old = join(dir, 'old.db');
  const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new BetterSqlite3(old) }) });
  const res = await new Migrator({ db, provider: migrationProvider }).migrateTo('0001_initial');
  assert.equal(res.error, undefined);
  await db.insertInto('accounts').values({ id: 'acc_existing', name: null, webhook_url: null, created_at: 1 }).execute();
  await db.destroy();
  const upgraded = await openSqliteStore(old);
  try {
    assert.equal(await upgraded.credits.balance('acc_existing'), 0);
    await upgraded.credits.grant('acc_existing', 7, null);
    assert.equal(await upgraded.credits.balance('acc_existing'), 7);
  } finally {
    await upgraded.close();
  }
});
