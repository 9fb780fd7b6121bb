// Store methods of issue #11: uploads (owner-only lookup, expiry sweep) and recent jobs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openTestStore, type TestStore } from '../support/backends.js';
import { newJobId } from '../../src/store/ids.js';

// The shared store suite: SQLite here, Postgres in the distributed pass.
let store: TestStore;
before(async () => {
  store = await openTestStore();
});
after(async () => {
  await store.close();
});

test('uploads: only the owner finds one; expired ones are deleted and their ids returned', async () => {
  const a = await store.accounts.create('a');
  const b = await store.accounts.create('b');
  const base = { contentType: 'image/jpeg', bytes: 10, width: 4, height: 3, createdAt: 1000 };
  await store.uploads.create({ ...base, id: 'upl_old', accountId: a.id, expiresAt: 2000 });
  await store.uploads.create({ ...base, id: 'upl_new', accountId: a.id, expiresAt: 9000 });
  assert.deepEqual(await store.uploads.get(a.id, 'upl_new'), { ...base, id: 'upl_new', accountId: a.id, expiresAt: 9000 });
  assert.equal(await store.uploads.get(b.id, 'upl_new'), undefined);
  assert.deepEqual(await store.uploads.deleteExpired(2000), ['upl_old']);
  assert.equal(await store.uploads.get(a.id, 'upl_old'), undefined);
  assert.deepEqual(await store.uploads.deleteExpired(2000), []);
});

test("jobs.listRecent: the account's newest first, bounded", async () => {
  const a = await store.accounts.create('jobs');
  const other = await store.accounts.create('other');
  const mk = (accountId: string) =>
    store.jobs.create({ id: newJobId(), accountId, kind: 'enhance', status: 'QUEUED', request: {}, result: null, error: null, callbackUrl: null, clientRequestId: null, requestHash: null, expiresAt: Date.now() + 1e6 });
  const first = await mk(a.id);
  await new Promise((r) => setTimeout(r, 5));
  const second = await mk(a.id);
  await mk(other.id);
  assert.deepEqual((await store.jobs.listRecent(a.id, 10)).map((j) => j.id), [second.id, first.id]);
  assert.deepEqual((await store.jobs.listRecent(a.id, 1)).map((j) => j.id), [second.id]);
});
