// The BullMQ adapter against the machine's Redis (distributed pass only), each run under its
// own key prefix, removed afterwards.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'bullmq';
import { createBullQueue } from '../../src/queue/bullmq.js';
import { CRASH_SLACK, TaskInterrupted, type Queue, type QueueTask } from '../../src/queue/types.js';
import { DISTRIBUTED, REDIS_URL, createRedisPrefix } from '../support/backends.js';

const opts = { skip: DISTRIBUTED ? false : 'distributed pass only (Redis)' };
const prefix = createRedisPrefix();
const queues: Queue[] = [];
const errors: unknown[] = [];
after(async () => {
  for (const q of queues) await q.stop(0);
  if (DISTRIBUTED) await prefix.cleanup();
});

function mkQueue(leaseMs = 2000): Queue {
  const q = createBullQueue({ url: REDIS_URL, prefix: prefix.prefix, leaseMs, backoffMs: () => 50, onError: (e) => errors.push(e) });
  queues.push(q);
  return q;
}

async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('runs a task once with its payload; the same id again is a no-op; depth counts it', opts, async () => {
  const q = mkQueue();
  const seen: QueueTask<{ n: number }>[] = [];
  await q.enqueue('once', { n: 1 }, { id: 'fetch:abc' });
  await q.enqueue('once', { n: 2 }, { id: 'fetch:abc' });
  assert.equal(await q.depth('once'), 1);
  q.process<{ n: number }>('once', { concurrency: 1 }, async (t) => void seen.push(t));
  q.start();
  await waitFor(() => seen.length === 1, 'the task');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(seen.length, 1);
  assert.deepEqual([seen[0]!.id, seen[0]!.payload, seen[0]!.attempt, seen[0]!.interruptions], ['fetch:abc', { n: 1 }, 1, 0]);
  assert.match(seen[0]!.token, /@1@/);
  await waitFor(async () => (await q.depth('once')) === 0, 'depth 0');
});

test('a failing handler is retried with backoff; after maxAttempts onExhausted is called once', opts, async () => {
  const q = mkQueue();
  let runs = 0;
  const exhausted: unknown[] = [];
  q.process('flaky', { concurrency: 1, onExhausted: async (_t, e) => void exhausted.push(e) }, async (t) => {
    runs++;
    if (t.payload !== 'ok-on-2' || t.attempt < 2) throw new Error(`fail ${t.attempt}`);
  });
  q.start();
  await q.enqueue('flaky', 'ok-on-2', { maxAttempts: 3 });
  await q.enqueue('flaky', 'never', { maxAttempts: 2 });
  await waitFor(() => exhausted.length === 1 && runs >= 4, 'retries');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(runs, 4);
  assert.match(String(exhausted[0]), /fail 2/);
});

test('a long handler keeps its lease (renewed while the event loop is free): no second run', opts, async () => {
  const a = mkQueue(1000);
  const b = mkQueue(1000);
  let runs = 0;
  const handler = async () => {
    runs++;
    await new Promise((r) => setTimeout(r, 3500)); // 3.5 leases
  };
  a.process('long', { concurrency: 1 }, handler);
  a.start();
  await a.enqueue('long', null, { id: 'long-1' });
  await waitFor(() => runs === 1, 'first run');
  b.process('long', { concurrency: 1 }, handler);
  b.start();
  await waitFor(async () => (await a.depth('long')) === 0, 'done', 15_000);
  assert.equal(runs, 1);
});

test('stop hands a running task back at once; the next worker runs it as the same attempt, no interruption counted', opts, async () => {
  const a = mkQueue(30_000); // a long lease: only the hand-back can make this fast
  const seen: QueueTask[] = [];
  let aborted = false;
  a.process('handback', { concurrency: 1 }, (t, signal) => {
    seen.push(t);
    return new Promise((_, reject) => signal.addEventListener('abort', () => ((aborted = true), reject(signal.reason))));
  });
  a.start();
  await a.enqueue('handback', null, { id: 'hb-1' });
  await waitFor(() => seen.length === 1, 'first run');
  await a.stop(100);
  assert.equal(aborted, true);
  const b = mkQueue(30_000);
  b.process('handback', { concurrency: 1 }, async (t) => void seen.push(t));
  b.start();
  await waitFor(() => seen.length === 2, 'second run', 10_000);
  // A graceful hand-back (SIGTERM, rolling restart) is not a crash: as in the embedded queue.
  assert.equal(seen[1]!.attempt, 1);
  assert.equal(seen[1]!.interruptions, 0);
  assert.notEqual(seen[1]!.token, seen[0]!.token, 'each run has its own lease token');
});

test('handed back CRASH_SLACK + 2 times in a row, a task still runs (hand-backs never add up to "interrupted")', opts, async () => {
  const exhausted: unknown[] = [];
  let runs = 0;
  for (let i = 0; i < CRASH_SLACK + 3; i++) {
    const q = mkQueue(30_000);
    const last = i === CRASH_SLACK + 2;
    q.process('rolling', { concurrency: 1, onExhausted: async (_t, e) => void exhausted.push(e) }, (t, signal) => {
      runs++;
      assert.equal(t.interruptions, 0);
      if (last) return Promise.resolve();
      return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    });
    q.start();
    if (i === 0) await q.enqueue('rolling', null, { id: 'rolling-1', maxAttempts: 1 });
    await waitFor(() => runs === i + 1, `run ${i + 1}`);
    if (!last) await q.stop(0);
  }
  assert.equal(runs, CRASH_SLACK + 3);
  assert.deepEqual(exhausted, []);
});

test('a task interrupted more than CRASH_SLACK times is given up with TaskInterrupted', opts, async () => {
  // Crashes, not hand-backs: a plain BullMQ worker takes the task and is closed by force, as a
  // process killed -9 vanishes (no hand-back); its lock expires and a stalled check puts the
  // task back, counting the start.
  const first = mkQueue();
  await first.enqueue('poison', null, { id: 'poison-1', maxAttempts: 1 });
  let crashes = 0;
  for (let i = 0; i <= CRASH_SLACK; i++) {
    let took!: () => void;
    const started = new Promise<void>((r) => (took = r));
    const crashing = new Worker('poison', () => (took(), new Promise<void>(() => {})), {
      connection: { url: REDIS_URL, maxRetriesPerRequest: null },
      prefix: prefix.prefix,
      lockDuration: 400,
      stalledInterval: 200,
      maxStalledCount: 1000,
    });
    crashing.on('error', () => {});
    await started;
    await crashing.close(true);
    crashes++;
  }
  const exhausted: unknown[] = [];
  let ran = false;
  const q = mkQueue(400);
  q.process('poison', { concurrency: 1, onExhausted: async (_t, e) => void exhausted.push(e) }, async () => {
    ran = true;
  });
  q.start();
  await waitFor(() => exhausted.length === 1, 'given up');
  assert.equal(crashes, CRASH_SLACK + 1);
  assert.equal(ran, false, 'a poison task does not run again');
  assert.ok(exhausted[0] instanceof TaskInterrupted);
  assert.equal((exhausted[0] as TaskInterrupted).interruptions, CRASH_SLACK + 1);
});

test('no background errors were reported', opts, () => {
  assert.deepEqual(errors.filter((e) => !/stopping|lease/.test(String(e))), []);
});
