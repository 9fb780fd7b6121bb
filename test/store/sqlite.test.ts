import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite.js';
import { newKey, newProfileId } from '../../src/store/ids.js';
import type { ProfileRecord } from '../../src/store/types.js';

// What only the SQLite file adapter has: pragmas, the file's bytes, reopening the file.
let dir: string;
let store: SqliteStore;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'likeness-store-'));
  store = await openSqliteStore(join(dir, 'db', 'likeness.db'));
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const profile = (accountId: string): Omit<ProfileRecord, 'createdAt' | 'updatedAt' | 'runs'> => ({
  id: newProfileId(),
  accountId,
  tag: null,
  tier: 'standard',
  status: 'VALIDATING',
  message: null,
  progress: 0,
  imageUrls: ['https://example.com/a.jpg'],
  images: null,
  model: null,
});

test('sqlite pragmas: WAL, foreign keys', () => {
  const raw = new BetterSqlite3(join(dir, 'db', 'likeness.db'), { readonly: true });
  try {
    assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
    const tables = raw.prepare("select name from sqlite_master where type='table'").all().map((r: any) => r.name);
    for (const t of ['accounts', 'api_keys', 'webhook_secrets', 'profiles', 'jobs', 'files', 'deliveries', 'queue_tasks']) assert.ok(tables.includes(t), t);
  } finally {
    raw.close();
  }
});

test('keys: the key itself is nowhere in the database file or its WAL', async () => {
  const a = await store.accounts.create('keys');
  const k1 = newKey();
  const k2 = newKey();
  await store.keys.create(a.id, k1, 'laptop');
  await store.keys.create(a.id, k2, null);
  await store.keys.revoke(k2);
  const k3 = newKey();
  await store.keys.create(a.id, k3, 'secret-check');
  const files = readdirSync(join(dir, 'db')).filter((f) => f.startsWith('likeness.db'));
  assert.ok(files.length >= 1);
  for (const f of files) {
    const bytes = readFileSync(join(dir, 'db', f));
    for (const k of [k1, k2, k3]) assert.equal(bytes.includes(Buffer.from(k)), false, `${f} contains a key`);
  }
  const raw = new BetterSqlite3(join(dir, 'db', 'likeness.db'), { readonly: true });
  try {
    const rows = raw.prepare('select * from api_keys').all();
    assert.ok(!JSON.stringify(rows).includes(k3));
  } finally {
    raw.close();
  }
});

test('deleting a profile cascades to rows that reference it', async () => {
  // Nothing in the current schema references profiles yet; prove the foreign-key cascade
  // is live on this connection so tables added later with ON DELETE CASCADE behave.
  const a = await store.accounts.create('cascade');
  const p = await store.profiles.create(profile(a.id));
  const raw = new BetterSqlite3(join(dir, 'db', 'likeness.db'));
  try {
    raw.exec('create table if not exists t_profile_faces (id integer primary key, profile_id text not null references profiles(id) on delete cascade)');
  } finally {
    raw.close();
  }
  const { sql } = await import('kysely');
  await sql`insert into t_profile_faces (profile_id) values (${p.id})`.execute(store.db);
  await assert.rejects(sql`insert into t_profile_faces (profile_id) values ('nope')`.execute(store.db), /FOREIGN KEY/);
  assert.equal(await store.profiles.delete(a.id, p.id), true);
  const left = await sql<{ n: number }>`select count(*) as n from t_profile_faces`.execute(store.db);
  assert.equal(left.rows[0]!.n, 0);
  await sql`drop table t_profile_faces`.execute(store.db);
});

test('reopening the file keeps data and does not re-run migrations', async () => {
  const file = join(dir, 'reopen.db');
  const s1 = await openSqliteStore(file);
  const a = await s1.accounts.create('persist');
  const key = newKey();
  await s1.keys.create(a.id, key, null);
  await s1.close();
  await s1.close(); // idempotent
  const s2 = await openSqliteStore(file);
  try {
    assert.equal((await s2.keys.findAccountByKey(key))?.accountId, a.id);
  } finally {
    await s2.close();
  }
});


test('status polls: served from memory until the profile changes, here or in another process', async () => {
  const a = await store.accounts.create('poll-cache');
  const p = await store.profiles.create(profile(a.id));
  const first = await store.profiles.status(a.id, p.id);
  assert.equal(await store.profiles.status(a.id, p.id), first, 'a repeated poll is the same cached record');
  await store.profiles.update(p.id, { status: 'IN_PROGRESS', progress: 0.5 });
  const second = await store.profiles.status(a.id, p.id);
  assert.notEqual(second, first);
  assert.equal(second?.status, 'IN_PROGRESS');
  assert.equal(await store.profiles.status('acc_other', p.id), undefined, "a cached profile is still only its account's");
  // Another connection to the same file (an admin command, a second process) commits a change.
  const other = new BetterSqlite3(join(dir, 'db', 'likeness.db'));
  try {
    other.prepare("update profiles set status = 'ERROR', message = 'stopped elsewhere' where id = ?").run(p.id);
  } finally {
    other.close();
  }
  await new Promise((r) => setTimeout(r, 5)); // the cache reads the file's data version at most once per ms
  const third = await store.profiles.status(a.id, p.id);
  assert.equal(third?.status, 'ERROR');
  assert.equal(third?.message, 'stopped elsewhere');
  await store.profiles.delete(a.id, p.id);
  assert.equal(await store.profiles.status(a.id, p.id), undefined, 'a deleted profile is gone at once');
});
