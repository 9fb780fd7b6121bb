import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite.js';
import { createEmbeddedQueue, CRASH_SLACK, type EmbeddedQueue, type EmbeddedQueueOptions } from '../../src/queue/embedded.js';
import { exponentialBackoff } from '../../src/queue/backoff.js';
import type { QueueTask } from '../../src/queue/types.js';

let dir: string;
let store: SqliteStore;
const queues: EmbeddedQueue[] = [];
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'likeness-queue-'));
  store = await openSqliteStore(join(dir, 'q.db'));
});
after(async () => {
  for (const q of queues) await q.stop(0);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const errors: unknown[] = [];
function mkQueue(opts: EmbeddedQueueOptions = {}): EmbeddedQueue {
  const q = createEmbeddedQueue(store.db, { pollMs: 20, backoffMs: () => 30, onError: (e) => errors.push(e), ...opts });
  queues.push(q);
  return q;
}

/** Polls `cond` until true; fails after a generous bound (not a speed assertion). */
async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const row = (id: string) => store.db.selectFrom('queue_tasks').selectAll().where('id', '=', id).executeTakeFirst();

test('backoff: 1 s, 4 s, 16 s by default, capped', () => {
  const b = exponentialBackoff();
  assert.deepEqual([1, 2, 3, 4].map(b), [1000, 4000, 16000, 64000]);
  assert.equal(exponentialBackoff(1000, 4, 5000)(10), 5000);
});

test('runs a task once with its payload, marks it done, depth counts waiting + running', async () => {
  const q = mkQueue();
  const enqueuedAt = Date.now();
  const id = await q.enqueue('basic', { hello: 'world' });
  await q.enqueue('basic-other', { x: 1 });
  assert.equal(await q.depth('basic'), 1);
  const seen: QueueTask<{ hello: string }>[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  q.process<{ hello: string }>('basic', { concurrency: 1 }, async (task) => {
    seen.push(task);
    await gate;
  });
  q.start();
  q.start(); // idempotent
  await waitFor(() => seen.length === 1, 'handler start');
  assert.equal((await row(id))?.status, 'running');
  assert.equal(await q.depth('basic'), 1, 'running counts');
  release();
  await waitFor(async () => (await row(id))?.status === 'done', 'done');
  const readyAt = seen[0].readyAt!; // when it became runnable (the queue-wait metric)
  assert.ok(readyAt >= enqueuedAt && readyAt <= Date.now(), `readyAt ${readyAt}`);
  assert.deepEqual(seen, [{ id, queue: 'basic', payload: { hello: 'world' }, attempt: 1, token: `${id}@1@${q.owner}`, interruptions: 0, readyAt }]);
  assert.equal(await q.depth('basic'), 0);
  assert.equal(await q.depth('basic-other'), 1, 'a queue without a handler keeps its tasks');
  await q.stop(1000);
});

test('enqueue with an existing id is a no-op returning that id', async () => {
  const q = mkQueue();
  const a = await q.enqueue('idem', { v: 1 }, { id: 'train:abc' });
  const b = await q.enqueue('idem', { v: 2 }, { id: 'train:abc' });
  assert.equal(a, 'train:abc');
  assert.equal(b, 'train:abc');
  assert.equal(await q.depth('idem'), 1);
  const payloads: unknown[] = [];
  q.process('idem', { concurrency: 2 }, async (t) => {
    payloads.push(t.payload);
  });
  q.start();
  await waitFor(async () => (await row('train:abc'))?.status === 'done', 'done');
  // Even after it finished, the id is remembered: enqueuing again does not re-run it.
  await q.enqueue('idem', { v: 3 }, { id: 'train:abc' });
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(payloads, [{ v: 1 }]);
  await q.stop(1000);
});

test('a failing handler is retried with backoff, then succeeds', async () => {
  const q = mkQueue({ backoffMs: (attempt) => 60 * attempt });
  const id = await q.enqueue('flaky', null, { maxAttempts: 3 });
  const calls: { attempt: number; at: number }[] = [];
  q.process('flaky', { concurrency: 1, onExhausted: async () => assert.fail('must not exhaust') }, async (t) => {
    calls.push({ attempt: t.attempt, at: Date.now() });
    if (t.attempt < 3) throw new Error(`fail ${t.attempt}`);
  });
  q.start();
  await waitFor(async () => (await row(id))?.status === 'done', 'done');
  assert.deepEqual(calls.map((c) => c.attempt), [1, 2, 3]);
  // Retries are not run before their backoff (lower bounds only).
  assert.ok(calls[1]!.at - calls[0]!.at >= 60, 'first backoff respected');
  assert.ok(calls[2]!.at - calls[1]!.at >= 120, 'second backoff respected');
  const r = await row(id);
  assert.equal(r?.attempt, 3);
  assert.equal(r?.last_error, null);
  await q.stop(1000);
});

test('after maxAttempts the task fails and onExhausted is called once', async () => {
  const q = mkQueue();
  const id = await q.enqueue('doomed', { profile: 'p1' }, { maxAttempts: 2 });
  let runs = 0;
  const exhausted: { task: QueueTask; error: unknown }[] = [];
  q.process('doomed', { concurrency: 1, onExhausted: async (task, error) => void exhausted.push({ task, error }) }, async () => {
    runs++;
    throw new Error('provider down');
  });
  q.start();
  await waitFor(async () => (await row(id))?.status === 'failed', 'failed');
  assert.equal(runs, 2);
  assert.equal(exhausted.length, 1);
  assert.equal(exhausted[0]!.task.attempt, 2);
  assert.deepEqual(exhausted[0]!.task.payload, { profile: 'p1' });
  assert.match(String((exhausted[0]!.error as Error).message), /provider down/);
  assert.match((await row(id))!.last_error!, /provider down/);
  assert.equal(await q.depth('doomed'), 0);
  await q.stop(1000);
});

test('concurrency limits parallel handlers per queue', async () => {
  const q = mkQueue();
  for (let i = 0; i < 6; i++) await q.enqueue('par', i);
  let running = 0;
  let peak = 0;
  let done = 0;
  q.process('par', { concurrency: 2 }, async () => {
    running++;
    peak = Math.max(peak, running);
    await new Promise((r) => setTimeout(r, 40));
    running--;
    done++;
  });
  q.start();
  await waitFor(() => done === 6, 'all done');
  assert.equal(peak, 2);
  await q.stop(1000);
});

test('the lease is renewed while a long handler runs, so no one else takes the task', async () => {
  const a = mkQueue({ owner: 'renew-a', leaseMs: 150, exclusive: false });
  const id = await a.enqueue('long', null);
  let runs = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  a.process('long', { concurrency: 1 }, async () => {
    runs++;
    await gate;
  });
  a.start();
  await waitFor(() => runs === 1, 'start');
  // A second worker sharing the file, polling for the same queue.
  const b = mkQueue({ owner: 'renew-b', leaseMs: 150, exclusive: false });
  b.process('long', { concurrency: 1 }, async () => {
    runs++;
  });
  b.start();
  const first = Number((await row(id))!.lease_until);
  // Wait several lease lengths: without renewal b would reclaim and run it.
  await waitFor(async () => Number((await row(id))!.lease_until) > first + 300, 'renewals');
  const r = await row(id);
  assert.equal(r?.status, 'running');
  assert.equal(r?.lease_owner, 'renew-a');
  assert.equal(runs, 1);
  release();
  await waitFor(async () => (await row(id))?.status === 'done', 'done');
  assert.equal(runs, 1);
  await b.stop(1000);
  await a.stop(1000);
});

test('crash recovery: a task claimed by an abandoned worker runs again in a new one', async () => {
  const a = mkQueue({ owner: 'crash-a', leaseMs: 90 });
  const id = await a.enqueue('recover', { job: 'j1' });
  let aSignal: AbortSignal | undefined;
  a.process('recover', { concurrency: 1 }, (_task, signal) => {
    aSignal = signal;
    return new Promise<void>(() => undefined); // hangs: "A died mid-task"
  });
  a.start();
  await waitFor(() => aSignal !== undefined, 'A claimed');
  assert.equal((await row(id))?.lease_owner, 'crash-a');
  // A is abandoned (no stop). B starts on the same file with another owner.
  const ran: QueueTask[] = [];
  const b = mkQueue({ owner: 'crash-b' });
  b.process('recover', { concurrency: 1 }, async (task) => void ran.push(task));
  b.start();
  await waitFor(async () => (await row(id))?.status === 'done', 'B finished it');
  assert.equal(ran.length, 1);
  assert.equal(ran[0]!.attempt, 2);
  assert.deepEqual(ran[0]!.payload, { job: 'j1' });
  // A notices on its next lease renewal that it lost the task.
  await waitFor(() => aSignal!.aborted, 'A aborted');
  assert.equal((await row(id))?.status, 'done', "A's late outcome writes nothing");
  await b.stop(0);
  await a.stop(0);
});

test('shared file: expired leases are reclaimed, live ones are not', async () => {
  const now = Date.now();
  const base = { queue: 'shared', payload: '{}', attempt: 1, max_attempts: 3, run_at: now, last_error: null, created_at: now, updated_at: now, finished_at: null };
  await store.db
    .insertInto('queue_tasks')
    .values([
      { ...base, id: 'dead-lease', status: 'running', lease_owner: 'ghost', lease_until: now - 1 },
      { ...base, id: 'live-lease', status: 'running', lease_owner: 'other-live-process', lease_until: now + 600_000 },
    ])
    .execute();
  const q = mkQueue({ owner: 'shared-b', exclusive: false });
  const ran: string[] = [];
  q.process('shared', { concurrency: 2 }, async (t) => void ran.push(t.id));
  q.start();
  await waitFor(async () => (await row('dead-lease'))?.status === 'done', 'reclaimed');
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(ran, ['dead-lease']);
  assert.equal((await row('live-lease'))?.status, 'running');
  assert.equal(await q.depth('shared'), 1);
  await q.stop(0);
  await store.db.deleteFrom('queue_tasks').where('id', '=', 'live-lease').execute();
});

test('stop waits for running handlers within the grace period', async () => {
  const q = mkQueue();
  const id = await q.enqueue('graceful', null);
  let started = false;
  q.process('graceful', { concurrency: 1 }, async () => {
    started = true;
    await new Promise((r) => setTimeout(r, 150));
  });
  q.start();
  await waitFor(() => started, 'start');
  await q.stop(10_000);
  assert.equal((await row(id))?.status, 'done');
  // Stopped: new work is not taken.
  const later = await q.enqueue('graceful', null);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal((await row(later))?.status, 'waiting');
});

test('stop aborts handlers that outlive the grace period and gives their task back', async () => {
  const q = mkQueue({ abortWaitMs: 2000 });
  const id = await q.enqueue('abortable', { n: 1 });
  let signal: AbortSignal | undefined;
  q.process('abortable', { concurrency: 1 }, (_t, s) => {
    signal = s;
    return new Promise<void>((_, reject) => s.addEventListener('abort', () => reject(s.reason)));
  });
  q.start();
  await waitFor(() => signal !== undefined, 'start');
  await q.stop(50);
  assert.equal(signal!.aborted, true);
  const r = await row(id);
  assert.equal(r?.status, 'waiting');
  assert.equal(r?.attempt, 0, 'the interrupted run does not count');
  assert.equal(r?.lease_owner, null);
  // The next worker runs it as a first attempt.
  const q2 = mkQueue();
  const attempts: number[] = [];
  q2.process('abortable', { concurrency: 1 }, async (t) => void attempts.push(t.attempt));
  q2.start();
  await waitFor(async () => (await row(id))?.status === 'done', 'done after restart');
  assert.deepEqual(attempts, [1]);
  await q2.stop(0);
});

test('a task interrupted too many times fails without running (poison task)', async () => {
  const now = Date.now();
  await store.db
    .insertInto('queue_tasks')
    .values({ id: 'poison', queue: 'poison', payload: '{"x":1}', status: 'running', attempt: 3 + CRASH_SLACK, max_attempts: 3, run_at: now, lease_owner: 'dead', lease_until: now + 600_000, last_error: null, created_at: now, updated_at: now, finished_at: null })
    .execute();
  const q = mkQueue({ owner: 'poison-b' });
  let ran = false;
  const exhausted: QueueTask[] = [];
  q.process('poison', { concurrency: 1, onExhausted: async (t) => void exhausted.push(t) }, async () => {
    ran = true;
  });
  q.start();
  await waitFor(async () => (await row('poison'))?.status === 'failed', 'failed');
  assert.equal(ran, false);
  assert.equal(exhausted.length, 1);
  assert.match((await row('poison'))!.last_error!, /interrupted/);
  await q.stop(0);
});

test('finished tasks older than the retention are cleaned up', async () => {
  const now = Date.now();
  const base = { queue: 'cleanup', payload: '{}', attempt: 1, max_attempts: 3, run_at: now, lease_owner: null, lease_until: null, last_error: null, created_at: now, updated_at: now };
  await store.db
    .insertInto('queue_tasks')
    .values([
      { ...base, id: 'old-done', status: 'done', finished_at: now - 2 * 86400_000 },
      { ...base, id: 'old-failed', status: 'failed', finished_at: now - 2 * 86400_000 },
      { ...base, id: 'recent-done', status: 'done', finished_at: now - 1000 },
      { ...base, id: 'old-waiting', status: 'waiting', finished_at: null, created_at: now - 3 * 86400_000 },
    ])
    .execute();
  const q = mkQueue();
  q.start();
  await waitFor(async () => (await row('old-done')) === undefined, 'cleanup');
  assert.equal(await row('old-failed'), undefined);
  assert.ok(await row('recent-done'));
  assert.ok(await row('old-waiting'), 'unfinished work is never cleaned');
  await q.stop(0);
});

test('no background errors were reported', () => {
  assert.deepEqual(errors, []);
});
