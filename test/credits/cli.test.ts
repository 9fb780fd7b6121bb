// `likeness credits ...` against the real SQLite store.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite.js';
import { creditsCommand, CREDITS_USAGE, formatLedger } from '../../src/credits/cli.js';

let dir: string;
let store: SqliteStore;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'likeness-credits-cli-'));
  store = await openSqliteStore(join(dir, 'likeness.db'));
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

test('credits add tops up and prints the new balance', async () => {
  const { id } = await store.accounts.create('cli');
  assert.equal(await creditsCommand(store, ['add', id, '25']), `Added $25.00 to ${id}. Balance: $25.00.`);
  assert.equal(await creditsCommand(store, ['add', id, '$0.125']), `Added $0.125 to ${id}. Balance: $25.125.`);
  assert.equal(await store.credits.balance(id), 25_125_000);
  const off = await creditsCommand(store, ['add', id, '1'], { enabled: false });
  assert.match(off, /credits are off/);
  assert.match(off, /LIKENESS_CREDITS=1/);
});

test('credits show prints the balance, held amounts and the ledger, newest first', async () => {
  const { id } = await store.accounts.create('cli-show');
  await creditsCommand(store, ['add', id, '10']);
  const res = await store.credits.reserve(id, 2_900_000, 'prof_abc');
  await store.credits.reserve(id, 130_000, 'job_open');
  await store.credits.settle(res, 2_900_000);
  const out = await creditsCommand(store, ['show', id]);
  const lines = out.split('\n');
  assert.equal(lines[0], `Account ${id}`);
  assert.equal(lines[1], 'Balance: $6.97 (plus $0.13 held by requests in progress)');
  const ledger = lines.slice(3);
  assert.equal(ledger.length, 4);
  assert.match(ledger[0], /settle\s+\$0\.00\s+prof_abc$/);
  assert.match(ledger[1], /reserve\s+-\$0\.13\s+job_open$/);
  assert.match(ledger[2], /reserve\s+-\$2\.90\s+prof_abc$/);
  assert.match(ledger[3], /grant\s+\+\$10\.00\s+likeness credits add$/);
});

test('bad arguments throw the usage; unknown accounts and bad amounts are named', async () => {
  const { id } = await store.accounts.create(null);
  for (const args of [[], ['add'], ['add', id], ['show'], ['show', id, 'extra'], ['add', id, '1', 'x'], ['remove', id, '1']]) {
    await assert.rejects(creditsCommand(store, args), (err: unknown) => err instanceof Error && err.message.includes(CREDITS_USAGE), args.join(' '));
  }
  for (const amount of ['0', '-5', 'ten', '1.0000001']) {
    await assert.rejects(creditsCommand(store, ['add', id, amount]), new RegExp(`"${amount.replace('.', '\\.')}" is not a positive amount`));
  }
  await assert.rejects(creditsCommand(store, ['add', 'acc_missing', '5']), /no account "acc_missing"/);
  await assert.rejects(creditsCommand(store, ['show', 'acc_missing']), /no account "acc_missing"/);
  assert.equal(await store.credits.balance(id), 0);
});

test('formatLedger aligns columns and handles an empty ledger', () => {
  assert.equal(formatLedger([]), '  (no entries)');
  const text = formatLedger([
    { id: 'b', accountId: 'a', kind: 'reserve', amountMicros: -130_000, reservationId: null, reference: 'job_1', note: null, createdAt: Date.UTC(2026, 0, 2, 3, 4, 5) },
    { id: 'a', accountId: 'a', kind: 'grant', amountMicros: 10_000_000, reservationId: null, reference: null, note: 'top-up', createdAt: Date.UTC(2026, 0, 1) },
  ]);
  assert.equal(
    text,
    ['  2026-01-02 03:04:05  reserve   -$0.13  job_1', '  2026-01-01 00:00:00  grant    +$10.00         top-up'].join('\n'),
  );
});
