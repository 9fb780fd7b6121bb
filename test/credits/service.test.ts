// The credit service over the real SQLite store.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite.js';
import { ApiError } from '../../src/errors.js';
import { createCreditService } from '../../src/credits/service.js';
import { pricesFromEnv } from '../../src/credits/prices.js';

let dir: string;
let store: SqliteStore;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'likeness-credits-svc-'));
  store = await openSqliteStore(join(dir, 'likeness.db'));
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function account(micros: number): Promise<string> {
  const a = await store.accounts.create(null);
  if (micros > 0) await store.credits.grant(a.id, micros, null);
  return a.id;
}

test('disabled: nothing is reserved or charged and nothing throws, even at a zero balance', async () => {
  const credits = createCreditService({ store, enabled: false });
  const id = await account(0);
  assert.equal(credits.enabled, false);
  assert.equal(await credits.reserveStudio(id, 'edit', 4, true, 'job_x'), null);
  assert.equal(await credits.reserveTraining(id, 'standard', 'prof_x'), null);
  assert.equal(await credits.settle(null, 999), null);
  assert.equal(await credits.settleStudio(null, { outputsWithIdentity: 4, outputsWithout: 0 }), null);
  assert.equal(await credits.refund(null), null);
  assert.equal(await credits.withReservation(null, async () => 'done', () => 1), 'done');
  await assert.rejects(credits.withReservation(null, async () => Promise.reject(new Error('boom')), () => 1), /boom/);
  assert.deepEqual(await store.credits.ledger(id, 10), []);
  assert.equal(await store.credits.balance(id), 0);
});

test('studio: reserves outputs × identity price with candidates, settles by recognised outputs', async () => {
  const credits = createCreditService({ store, enabled: true });
  const id = await account(1_000_000);
  const r = await credits.reserveStudio(id, 'edit', 2, true, 'job_1');
  assert.ok(r);
  assert.deepEqual({ ...r, id: '' }, { id: '', accountId: id, kind: 'edit', amountMicros: 260_000, reference: 'job_1' });
  assert.equal(await store.credits.balance(id), 740_000);
  const s = await credits.settleStudio(r, { outputsWithIdentity: 1, outputsWithout: 1 });
  assert.equal(s?.chargedMicros, 230_000);
  assert.equal(await store.credits.balance(id), 770_000);

  const plain = await credits.reserveStudio(id, 'remix', 3, false, 'req_2');
  assert.equal(plain?.amountMicros, 360_000);
  await credits.settleStudio(plain, { outputsWithIdentity: 0, outputsWithout: 3 });
  assert.equal(await store.credits.balance(id), 410_000);
});

test('training: reserves the tier price; 402 when short, with the balance untouched', async () => {
  const credits = createCreditService({ store, enabled: true });
  const id = await account(2_000_000);
  const fast = await credits.reserveTraining(id, 'fast', 'prof_a');
  assert.equal(fast?.amountMicros, 1_490_000);
  assert.equal(fast?.kind, 'training');
  await assert.rejects(credits.reserveTraining(id, 'standard', 'prof_b'), (err: unknown) => {
    assert.ok(err instanceof ApiError);
    assert.equal(err.status, 402);
    assert.equal(err.code, 'INSUFFICIENT_CREDIT');
    return true;
  });
  assert.equal(await store.credits.balance(id), 510_000);
  await credits.settle(fast, 1_490_000);
  assert.equal(await store.credits.balance(id), 510_000);
  await assert.rejects(credits.settleStudio(fast, { outputsWithIdentity: 0, outputsWithout: 0 }), TypeError);
});

test('configured prices are used', async () => {
  const credits = createCreditService({ store, enabled: true, prices: pricesFromEnv({ LIKENESS_PRICES: '{"generate": 0.02, "generate.identity": 0.05}' }) });
  const id = await account(1_000_000);
  assert.equal((await credits.reserveStudio(id, 'generate', 4, false, 'a'))?.amountMicros, 80_000);
  const r = await credits.reserveStudio(id, 'generate', 4, true, 'b');
  assert.equal(r?.amountMicros, 200_000);
  assert.equal((await credits.settleStudio(r, { outputsWithIdentity: 2, outputsWithout: 2 }))?.chargedMicros, 140_000);
});

test('withReservation refunds fully when the work fails and settles when it succeeds', async () => {
  const credits = createCreditService({ store, enabled: true });
  const id = await account(500_000);
  const timeout = new ApiError(504, 'TIMEOUT', 'took too long');
  const r1 = await credits.reserveStudio(id, 'enhance', 2, true, 'job_t');
  await assert.rejects(
    credits.withReservation(r1, async () => Promise.reject(timeout), () => 0),
    (err) => err === timeout,
  );
  assert.equal(await store.credits.balance(id), 500_000);
  assert.equal((await store.credits.reservation(r1!.id))?.state, 'refunded');

  const r2 = await credits.reserveStudio(id, 'enhance', 2, true, 'job_ok');
  const out = await credits.withReservation(r2, async () => ({ matched: [0] }), () => 150_000 + 120_000);
  assert.deepEqual(out, { matched: [0] });
  assert.equal(await store.credits.balance(id), 230_000);
});

test('a reservation made while enabled is still settled by a service that is now disabled', async () => {
  const on = createCreditService({ store, enabled: true });
  const off = createCreditService({ store, enabled: false });
  const id = await account(300_000);
  const r = await on.reserveStudio(id, 'edit', 1, false, 'job_carry');
  const carried = JSON.parse(JSON.stringify(r)); // e.g. through a job payload
  assert.equal((await off.refund(carried))?.refundedMicros, 100_000);
  assert.equal(await store.credits.balance(id), 300_000);
});
