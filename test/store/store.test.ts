import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openTestStore, type TestStore } from '../support/backends.js';
import { newJobId, newKey, newProfileId } from '../../src/store/ids.js';
import { ApiError, ValidationFailed } from '../../src/errors.js';
import { CLIENT_REQUEST_ID_TTL_MS } from '../../src/store/kysely-store.js';
import type { JobRecord, ProfileRecord } from '../../src/store/types.js';

// One suite for every backend: SQLite here, Postgres in the distributed pass.
let store: TestStore;
before(async () => {
  store = await openTestStore();
});
after(async () => {
  await store.close();
});

const profile = (accountId: string, over: Partial<Omit<ProfileRecord, 'runs'>> = {}): Omit<ProfileRecord, 'createdAt' | 'updatedAt' | 'runs'> => ({
  id: newProfileId(),
  accountId,
  tag: null,
  tier: 'standard',
  status: 'VALIDATING',
  message: null,
  progress: 0,
  imageUrls: ['https://example.com/a.jpg', 'https://example.com/b.jpg'],
  images: null,
  model: null,
  ...over,
});

const job = (accountId: string, over: Partial<Omit<JobRecord, 'runs'>> = {}): Omit<JobRecord, 'createdAt' | 'updatedAt' | 'runs'> => ({
  id: newJobId(),
  accountId,
  kind: 'edit',
  status: 'QUEUED',
  request: { prompt: 'make it sunny', profile_ids: ['x'] },
  result: null,
  error: null,
  callbackUrl: null,
  clientRequestId: null,
  requestHash: null,
  expiresAt: Date.now() + 7 * 86400_000,
  ...over,
});

test('accounts: create, get, webhook url', async () => {
  const a = await store.accounts.create('Ada');
  assert.match(a.id, /^acc_[a-z0-9]{20}$/);
  assert.deepEqual(await store.accounts.get(a.id), a);
  await store.accounts.setWebhookUrl(a.id, 'https://hooks.example.com/x');
  assert.equal((await store.accounts.get(a.id))?.webhookUrl, 'https://hooks.example.com/x');
  await store.accounts.setWebhookUrl(a.id, null);
  assert.equal((await store.accounts.get(a.id))?.webhookUrl, null);
  assert.equal(await store.accounts.get('acc_missing'), undefined);
  const b = await store.accounts.create(null);
  assert.equal(b.name, null);
  assert.notEqual(a.id, b.id);
});

test('keys: stored hashed, found by key (with the admin flag), revoked by id or key, counted', async () => {
  const a = await store.accounts.create('keys');
  const before = await store.keys.count();
  const k1 = newKey();
  const k2 = newKey();
  const r1 = await store.keys.create(a.id, k1, 'laptop');
  const r2 = await store.keys.create(a.id, k2, null);
  assert.equal(r1.prefix, k1.slice(0, 8));
  assert.equal(r1.revokedAt, null);
  assert.equal(await store.keys.count(), before + 2);
  assert.deepEqual(await store.keys.findAccountByKey(k1), { accountId: a.id, keyId: r1.id, admin: false });
  const kAdmin = newKey();
  const rAdmin = await store.keys.create(a.id, kAdmin, 'ops', { admin: true });
  assert.equal(rAdmin.admin, true);
  assert.deepEqual(await store.keys.findAccountByKey(kAdmin), { accountId: a.id, keyId: rAdmin.id, admin: true });
  assert.equal((await store.keys.list()).find((k) => k.id === rAdmin.id)?.admin, true);
  await store.keys.revoke(rAdmin.id);
  assert.equal(await store.keys.findAccountByKey(k1 + 'x'), undefined);
  assert.equal(await store.keys.findAccountByKey(k1.toLowerCase()), undefined);
  const listed = await store.keys.list();
  assert.deepEqual(listed.find((k) => k.id === r1.id), r1);

  assert.equal(await store.keys.revoke(r1.id), true);
  assert.equal(await store.keys.findAccountByKey(k1), undefined);
  assert.equal(await store.keys.revoke(k2), true); // by the full key
  assert.equal(await store.keys.findAccountByKey(k2), undefined);
  assert.equal(await store.keys.revoke('key_nothing'), false);
  assert.equal(await store.keys.count(), before);
  const revoked = (await store.keys.list()).find((k) => k.id === r1.id);
  assert.equal(typeof revoked?.revokedAt, 'number');
});

test('webhook secrets: created on first use, rotation keeps the old one until it retires', async () => {
  const a = await store.accounts.create('hooks');
  const s1 = await store.webhookSecrets.current(a.id);
  assert.match(s1.secret, /^whsec_[0-9a-f]{64}$/);
  assert.equal(s1.retiresAt, null);
  assert.deepEqual(await store.webhookSecrets.current(a.id), s1);
  // Concurrent first uses agree on one secret.
  const b = await store.accounts.create('race');
  const many = await Promise.all(Array.from({ length: 5 }, () => store.webhookSecrets.current(b.id)));
  assert.equal(new Set(many.map((s) => s.secret)).size, 1);

  const t0 = 1_800_000_000_000;
  const grace = 24 * 3600_000;
  const s2 = await store.webhookSecrets.rotate(a.id, t0, grace);
  assert.notEqual(s2.secret, s1.secret);
  assert.equal(s2.retiresAt, null);
  assert.equal((await store.webhookSecrets.current(a.id)).secret, s2.secret);
  const act = await store.webhookSecrets.active(a.id, t0 + 1000);
  assert.deepEqual(act.map((s) => s.secret), [s2.secret, s1.secret]);
  assert.equal(act[1]!.retiresAt, t0 + grace);
  assert.deepEqual((await store.webhookSecrets.active(a.id, t0 + grace)).map((s) => s.secret), [s2.secret]);
  // Other accounts are unaffected.
  assert.deepEqual((await store.webhookSecrets.active(b.id, t0)).map((s) => s.secret), [many[0]!.secret]);
});

test('profiles: create, get, cross-account isolation, update, listByStatus, delete', async () => {
  const a = await store.accounts.create('p');
  const other = await store.accounts.create('other');
  const p = await store.profiles.create(profile(a.id, { tag: 'family' }));
  assert.equal(p.createdAt, p.updatedAt);
  assert.deepEqual(await store.profiles.get(a.id, p.id), p);
  assert.deepEqual(await store.profiles.getById(p.id), p);
  assert.equal(await store.profiles.get(other.id, p.id), undefined);
  assert.equal(await store.profiles.get(a.id, 'nope'), undefined);

  const images = [{ url: 'https://example.com/a.jpg', accepted: true, reasons: [] }, { url: 'https://example.com/b.jpg', accepted: false, reasons: ['blurry'] }];
  const model = { centroid: [0.1, -0.2, 0.3], threshold: 0.94, faces: 12 };
  await store.profiles.update(p.id, { status: 'READY', progress: 1, images, model, message: 'done' });
  const got = await store.profiles.get(a.id, p.id);
  assert.equal(got?.status, 'READY');
  assert.equal(got?.progress, 1);
  assert.deepEqual(got?.images, images);
  assert.deepEqual(got?.model, model);
  assert.equal(got?.message, 'done');
  assert.equal(got?.tag, 'family');
  assert.ok(got!.updatedAt >= p.updatedAt);
  await store.profiles.update(p.id, { message: null });
  assert.equal((await store.profiles.get(a.id, p.id))?.message, null);
  assert.equal((await store.profiles.get(a.id, p.id))?.status, 'READY', 'unpatched fields keep their values');

  const q = await store.profiles.create(profile(a.id, { status: 'IN_PROGRESS' }));
  const stuck = await store.profiles.listByStatus(['IN_PROGRESS', 'QUEUING']);
  assert.ok(stuck.some((r) => r.id === q.id));
  assert.ok(!stuck.some((r) => r.id === p.id));
  assert.deepEqual(await store.profiles.listByStatus([]), []);

  assert.equal(await store.profiles.delete(other.id, p.id), false, 'another account cannot delete it');
  assert.equal(await store.profiles.delete(a.id, p.id), true);
  assert.equal(await store.profiles.delete(a.id, p.id), false);
  assert.equal(await store.profiles.getById(p.id), undefined);
});

test('profiles: newest first, exact tag filter, cursor pagination', async () => {
  const a = await store.accounts.create('list');
  const other = await store.accounts.create('list-other');
  await store.profiles.create(profile(other.id, { tag: 'Team' }));
  const created: string[] = [];
  for (let i = 0; i < 7; i++) created.push((await store.profiles.create(profile(a.id, { tag: i % 2 === 0 ? 'Team' : 'team' }))).id);
  const newestFirst = [...created].reverse();

  const all = await store.profiles.list(a.id, { limit: 100 });
  assert.deepEqual(all.ids, newestFirst);
  assert.equal(all.nextCursor, null);

  const pages: string[][] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await store.profiles.list(a.id, { limit: 3, cursor });
    pages.push(page.ids);
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
  }
  assert.deepEqual(pages.map((p) => p.length), [3, 3, 1]);
  assert.deepEqual(pages.flat(), newestFirst);

  const exact = await store.profiles.list(a.id, { limit: 2, tag: 'Team' });
  assert.deepEqual(exact.ids, newestFirst.filter((_, i) => created.indexOf(newestFirst[i]!) % 2 === 0).slice(0, 2));
  const rest = await store.profiles.list(a.id, { limit: 10, tag: 'Team', cursor: exact.nextCursor! });
  assert.deepEqual([...exact.ids, ...rest.ids], newestFirst.filter((id) => created.indexOf(id) % 2 === 0));
  assert.equal((await store.profiles.list(a.id, { limit: 10, tag: 'team' })).ids.length, 3);
  assert.deepEqual((await store.profiles.list(a.id, { limit: 10, tag: 'TEAM' })).ids, []);

  // Exactly `limit` left: no next cursor.
  assert.equal((await store.profiles.list(a.id, { limit: 7 })).nextCursor, null);

  await assert.rejects(store.profiles.list(a.id, { limit: 3, cursor: 'garbage!' }), ValidationFailed);
  await assert.rejects(store.profiles.list(a.id, { limit: 0 }), ValidationFailed);
});

test('jobs: create, get, isolation, update, client_request_id window, expiry', async () => {
  const a = await store.accounts.create('jobs');
  const other = await store.accounts.create('jobs-other');
  const j = await store.jobs.create(job(a.id, { callbackUrl: 'https://cb.example.com', clientRequestId: 'req-1', requestHash: 'h1' }));
  assert.deepEqual(await store.jobs.get(a.id, j.id), j);
  assert.deepEqual(await store.jobs.getById(j.id), j);
  assert.equal(await store.jobs.get(other.id, j.id), undefined);

  await store.jobs.update(j.id, { status: 'RUNNING' });
  assert.equal((await store.jobs.get(a.id, j.id))?.status, 'RUNNING');
  const result = { images: ['https://x/y.jpg'], known_subjects: { counts: { abc: 1 } } };
  await store.jobs.update(j.id, { status: 'SUCCEEDED', result });
  const done = await store.jobs.getById(j.id);
  assert.deepEqual(done?.result, result);
  assert.equal(done?.error, null);
  await store.jobs.update(j.id, { status: 'FAILED', error: { detail: 'boom', code: 'INTERNAL_ERROR' } });
  assert.deepEqual((await store.jobs.getById(j.id))?.error, { detail: 'boom', code: 'INTERNAL_ERROR' });

  const since = j.createdAt - 1000;
  assert.equal((await store.jobs.findByClientRequestId(a.id, 'req-1', since))?.id, j.id);
  assert.equal(await store.jobs.findByClientRequestId(a.id, 'req-1', j.createdAt + 1), undefined);
  assert.equal(await store.jobs.findByClientRequestId(other.id, 'req-1', since), undefined);
  assert.equal(await store.jobs.findByClientRequestId(a.id, 'REQ-1', since), undefined);
  // Another account may use the same id.
  const o = await store.jobs.create(job(other.id, { clientRequestId: 'req-1' }));
  assert.equal((await store.jobs.findByClientRequestId(other.id, 'req-1', since))?.id, o.id);
  // A second job with a remembered id conflicts.
  await assert.rejects(store.jobs.create(job(a.id, { clientRequestId: 'req-1' })), (e: unknown) => e instanceof ApiError && e.status === 409 && e.code === 'IDEMPOTENCY_CONFLICT');

  const expired = await store.jobs.create(job(a.id, { expiresAt: 1000 }));
  const n = await store.jobs.deleteExpired(Date.now());
  assert.ok(n >= 1);
  assert.equal(await store.jobs.getById(expired.id), undefined);
  assert.ok(await store.jobs.getById(j.id));
});

test('jobs: a client_request_id older than the window can be used again', async () => {
  let clock = 1_900_000_000_000;
  const s = await openTestStore({ now: () => clock });
  try {
    const a = await s.accounts.create('old');
    const first = await s.jobs.create(job(a.id, { clientRequestId: 'again', expiresAt: clock + 7 * 86400_000 }));
    clock += CLIENT_REQUEST_ID_TTL_MS + 1;
    assert.equal(await s.jobs.findByClientRequestId(a.id, 'again', clock - CLIENT_REQUEST_ID_TTL_MS), undefined);
    const second = await s.jobs.create(job(a.id, { clientRequestId: 'again', expiresAt: clock + 7 * 86400_000 }));
    assert.equal((await s.jobs.findByClientRequestId(a.id, 'again', clock - CLIENT_REQUEST_ID_TTL_MS))?.id, second.id);
    assert.ok(await s.jobs.getById(first.id), 'the old job itself is kept');
  } finally {
    await s.close();
  }
});

test('files: create, get, deleteExpired returns keys', async () => {
  const a = await store.accounts.create('files');
  const now = Date.now();
  await store.files.create({ key: '20261121/old.jpg', accountId: a.id, contentType: 'image/jpeg', createdAt: now - 10, expiresAt: now - 1 });
  await store.files.create({ key: '20261121/new.png', accountId: a.id, contentType: 'image/png', createdAt: now, expiresAt: now + 86400_000 });
  assert.deepEqual(await store.files.get('20261121/new.png'), { key: '20261121/new.png', accountId: a.id, contentType: 'image/png', createdAt: now, expiresAt: now + 86400_000 });
  assert.equal(await store.files.get('missing'), undefined);
  assert.deepEqual(await store.files.deleteExpired(now), ['20261121/old.jpg']);
  assert.equal(await store.files.get('20261121/old.jpg'), undefined);
  assert.deepEqual(await store.files.deleteExpired(now), []);
});

test('deliveries: create, due (oldest first, only pending and due), update, get', async () => {
  const a = await store.accounts.create('deliveries');
  const t = 2_000_000_000_000;
  const mk = (id: string, nextAttemptAt: number) =>
    store.deliveries.create({ id, accountId: a.id, url: 'https://cb.example.com', body: `{"id":"${id}"}`, attempts: 0, nextAttemptAt, status: 'PENDING', lastError: null });
  const d1 = await mk('dlv_1', t + 20);
  await mk('dlv_2', t + 10);
  await mk('dlv_3', t + 99_999);
  assert.deepEqual((await store.deliveries.due(t + 50, 10)).map((d) => d.id), ['dlv_2', 'dlv_1']);
  assert.deepEqual((await store.deliveries.due(t + 50, 1)).map((d) => d.id), ['dlv_2']);
  assert.deepEqual(await store.deliveries.get('dlv_1'), d1);
  await store.deliveries.update('dlv_2', { status: 'DELIVERED', attempts: 1 });
  await store.deliveries.update('dlv_1', { attempts: 1, nextAttemptAt: t + 1000, lastError: 'HTTP 500' });
  assert.deepEqual((await store.deliveries.due(t + 50, 10)).map((d) => d.id), []);
  const g = await store.deliveries.get('dlv_1');
  assert.equal(g?.attempts, 1);
  assert.equal(g?.lastError, 'HTTP 500');
  assert.equal(g?.nextAttemptAt, t + 1000);
  assert.equal(await store.deliveries.get('dlv_missing'), undefined);
});

//END

test('profiles: the status read returns only what a poll shows', async () => {
  const a = await store.accounts.create('status');
  const p = await store.profiles.create(profile(a.id));
  const images = [{ url: 'https://example.com/a.jpg', accepted: true, reasons: [] }];
  assert.equal((await store.profiles.status(a.id, p.id))?.subject, null, 'no subject before training decides it');
  await store.profiles.update(p.id, { status: 'READY', progress: 1, images, model: { centroid: [1, 2, 3] }, message: null, subject: 'dog' });
  assert.deepEqual(await store.profiles.status(a.id, p.id), { id: p.id, status: 'READY', message: null, progress: 1, images, subject: 'dog' });
  assert.equal((await store.profiles.get(a.id, p.id))?.subject, 'dog');
  assert.equal(await store.profiles.status('acc_other', p.id), undefined);
  assert.equal(await store.profiles.status(a.id, 'missing'), undefined);
});

test('profiles: many concurrent status reads, two accounts: each read gets its own profile, fresh after a write', async () => {
  // On Postgres these are batched into shared queries (batch-loader.ts); the answers must not mix.
  const a = await store.accounts.create('status-a');
  const b = await store.accounts.create('status-b');
  const ps = [];
  for (let i = 0; i < 30; i++) ps.push(await store.profiles.create(profile(i % 2 ? b.id : a.id, { tag: `t${i}` })));
  for (const [i, p] of ps.entries()) await store.profiles.update(p.id, { progress: i / 100, message: `m${i}` });
  const reads = await Promise.all(ps.flatMap((p) => [store.profiles.status(p.accountId, p.id), store.profiles.status(p.accountId === a.id ? b.id : a.id, p.id)]));
  ps.forEach((p, i) => {
    assert.deepEqual(reads[2 * i], { id: p.id, status: 'VALIDATING', message: `m${i}`, progress: i / 100, images: null, subject: null });
    assert.equal(reads[2 * i + 1], undefined, "another account's key never reads it");
  });
  // A read that starts after a write sees it, even while other reads are in flight.
  const busy = Promise.all(ps.map((p) => store.profiles.status(p.accountId, p.id)));
  await store.profiles.update(ps[0]!.id, { status: 'ERROR', message: 'gone wrong' });
  const after = await store.profiles.status(a.id, ps[0]!.id);
  assert.equal(after?.status, 'ERROR');
  assert.equal(after?.message, 'gone wrong');
  await busy;
});

test('profiles: a status read of an id with a NUL in it is a miss and does not fail the reads it is batched with', async () => {
  const a = await store.accounts.create('status-nul');
  const p = await store.profiles.create(profile(a.id));
  const [bad, good] = await Promise.all([store.profiles.status(a.id, 'a\u0000b'), store.profiles.status(a.id, p.id)]);
  assert.equal(bad, undefined);
  assert.equal(good?.id, p.id);
});

test('profiles: a run takes the lease; a run that lost it cannot write', async () => {
  const a = await store.accounts.create('fence');
  const p = await store.profiles.create(profile(a.id, { status: 'QUEUING' }));
  const first = await store.profiles.claimRun(p.id, 'run-a', ['QUEUING', 'IN_PROGRESS']);
  assert.equal(first?.runs, 1);
  assert.equal(await store.profiles.update(p.id, { status: 'IN_PROGRESS' }, { runToken: 'run-a' }), true);
  // Another worker takes over (the first was paused past its lease).
  assert.equal((await store.profiles.claimRun(p.id, 'run-b', ['QUEUING', 'IN_PROGRESS']))?.runs, 2);
  assert.equal(await store.profiles.update(p.id, { status: 'READY', progress: 1 }, { runToken: 'run-a' }), false, 'late write refused');
  assert.equal(await store.profiles.update(p.id, { status: 'READY', progress: 1 }, { runToken: 'run-b' }), true);
  assert.equal(await store.profiles.update(p.id, { status: 'ERROR' }, { runToken: 'run-b' }), false, 'a finished profile is final');
  assert.equal((await store.profiles.getById(p.id))?.status, 'READY');
  assert.equal(await store.profiles.claimRun(p.id, 'run-c', ['QUEUING', 'IN_PROGRESS']), undefined);
});

test('jobs: claimRun counts runs; only the current run finishes the job, once', async () => {
  const a = await store.accounts.create('jobfence');
  const j = await store.jobs.create(job(a.id));
  assert.equal(j.runs, 0);
  const r1 = await store.jobs.claimRun(j.id, 'tok-1');
  assert.equal(r1?.status, 'RUNNING');
  assert.equal(r1?.runs, 1);
  assert.equal((await store.jobs.claimRun(j.id, 'tok-2'))?.runs, 2);
  assert.equal(await store.jobs.update(j.id, { status: 'SUCCEEDED', result: { n: 1 } }, { runToken: 'tok-1' }), false);
  assert.equal(await store.jobs.update(j.id, { status: 'SUCCEEDED', result: { n: 2 } }, { runToken: 'tok-2' }), true);
  assert.equal(await store.jobs.update(j.id, { status: 'FAILED' }, { runToken: 'tok-2' }), false);
  const done = await store.jobs.getById(j.id);
  assert.deepEqual([done?.status, done?.result, done?.runs], ['SUCCEEDED', { n: 2 }, 2]);
  assert.equal(await store.jobs.claimRun(j.id, 'tok-3'), undefined, 'a finished job is not run again');
});

test('jobs: listUnfinished finds queued and running jobs not touched lately', async () => {
  const a = await store.accounts.create('sweep');
  const j = await store.jobs.create(job(a.id));
  const finished = await store.jobs.create(job(a.id));
  await store.jobs.update(finished.id, { status: 'FAILED' });
  const ids = (await store.jobs.listUnfinished(Date.now() + 1000, 1000)).map((r) => r.id);
  assert.ok(ids.includes(j.id));
  assert.ok(!ids.includes(finished.id));
  assert.ok(!(await store.jobs.listUnfinished(j.updatedAt - 1, 1000)).some((r) => r.id === j.id));
});

test('deliveries: an attempt is claimed by exactly one of many racing callers; ids are idempotent', async () => {
  const a = await store.accounts.create('claims');
  const t = Date.now();
  const d = { id: 'dlv_claim', accountId: a.id, url: 'https://cb.example.com', body: '{}', attempts: 0, nextAttemptAt: t, status: 'PENDING' as const, lastError: null };
  await store.deliveries.create(d);
  const again = await store.deliveries.create({ ...d, body: '{"other":1}' });
  assert.equal(again.body, '{}', 'a second create of one id keeps the first');
  const wins = await Promise.all(Array.from({ length: 8 }, () => store.deliveries.claimAttempt('dlv_claim', 0, t + 30_000, t)));
  assert.equal(wins.filter(Boolean).length, 1);
  assert.equal((await store.deliveries.get('dlv_claim'))?.attempts, 1);
  assert.equal(await store.deliveries.claimAttempt('dlv_claim', 1, t + 60_000, t), false, 'not due until the next attempt time');
  assert.equal(await store.deliveries.claimAttempt('dlv_claim', 1, t + 60_000, t + 30_000), true);
});

test('node secrets: the first caller creates it, everyone else reads the same value', async () => {
  let n = 0;
  const values = await Promise.all(Array.from({ length: 6 }, () => store.nodeSecrets.getOrCreate('url-signing', () => `s${++n}`)));
  assert.equal(new Set(values).size, 1);
  assert.equal(await store.nodeSecrets.getOrCreate('url-signing', () => 'never'), values[0]);
  assert.notEqual(await store.nodeSecrets.getOrCreate('other', () => 'x'), values[0]);
});
