import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBatchLoader } from '../../src/store/batch-loader.js';

// A loader over an in-memory table that records each batch it is asked for and lets the test
// decide when a batch answers (as a database round trip would, later).
function table(rows: Record<string, number>) {
  const calls: string[][] = [];
  const pending: Array<() => void> = [];
  const loadMany = (keys: string[]) =>
    new Promise<Map<string, number>>((resolve) => {
      calls.push(keys);
      // The values are read when the batch answers (the database's state at that moment).
      pending.push(() => resolve(new Map(keys.filter((k) => k in rows).map((k) => [k, rows[k]!]))));
    });
  const answerAll = () => pending.splice(0).forEach((f) => f());
  return { calls, pending, loadMany, answerAll };
}
const tick = () => new Promise((r) => setImmediate(r));

test('batch loader: concurrent reads share one batch of distinct keys; misses are undefined', async () => {
  const t = table({ a: 1, b: 2 });
  const loader = createBatchLoader(t.loadMany, { maxInFlight: 1 });
  const reads = Promise.all(['a', 'b', 'a', 'zz'].map((k) => loader.load(k)));
  await tick();
  assert.deepEqual(t.calls, [['a', 'b', 'zz']]);
  t.answerAll();
  assert.deepEqual(await reads, [1, 2, 1, undefined]);
});

test('batch loader: a read asked for while a batch is in flight waits for the next batch (never an older answer)', async () => {
  const rows = { a: 1 };
  const t = table(rows);
  const loader = createBatchLoader(t.loadMany, { maxInFlight: 1 });
  const first = loader.load('a');
  await tick();
  assert.equal(t.calls.length, 1);
  // The row changes and a new read arrives while the first batch is still out.
  rows.a = 2;
  const second = loader.load('a');
  await tick();
  assert.equal(t.calls.length, 1, 'no second batch while the only slot is busy');
  t.answerAll();
  assert.equal(await first, 2);
  for (let i = 0; i < 5 && t.calls.length < 2; i++) await tick();
  assert.equal(t.calls.length, 2, 'the waiting read got its own batch');
  rows.a = 3;
  t.answerAll();
  assert.equal(await second, 3, 'answered by a batch sent after it was asked');
});

test('batch loader: at most maxInFlight batches at once, at most maxKeys distinct keys each', async () => {
  const t = table(Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, i])));
  const loader = createBatchLoader(t.loadMany, { maxInFlight: 2, maxKeys: 3 });
  const reads = Promise.all(Array.from({ length: 10 }, (_, i) => loader.load(`k${i}`)).concat(loader.load('k0')));
  await tick();
  assert.deepEqual(t.calls, [['k0', 'k1', 'k2'], ['k3', 'k4', 'k5']], 'two batches of three; the repeat of k0 rode along');
  t.answerAll();
  for (let i = 0; i < 5 && t.calls.length < 4; i++) {
    await tick();
    t.answerAll();
  }
  assert.deepEqual(t.calls.slice(2), [['k6', 'k7', 'k8'], ['k9']]);
  t.answerAll();
  assert.deepEqual(await reads, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0]);
});

test('batch loader: a failed batch rejects its own reads only; the next batch runs', async () => {
  let fail = true;
  const loader = createBatchLoader(async (keys: string[]) => {
    if (fail) throw new Error('connection lost');
    return new Map(keys.map((k) => [k, k.length]));
  });
  const a = loader.load('x');
  await assert.rejects(a, /connection lost/);
  fail = false;
  assert.equal(await loader.load('xyz'), 3);
});
