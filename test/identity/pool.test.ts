import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkerPool, PoolError } from '../../src/identity/pool.js';
import { ApiError } from '../../src/errors.js';

const WORKER = new URL('./pool-worker.fixture.js', import.meta.url);

test('runs named tasks and returns results', async () => {
  const pool = new WorkerPool(WORKER, { size: 2 });
  try {
    const r = await pool.run<{ p: unknown }>('echo', { a: [1, 2] });
    assert.deepEqual(r.p, { a: [1, 2] });
  } finally {
    await pool.close();
  }
});

test('queues work when every worker is busy and uses all workers', async () => {
  const pool = new WorkerPool(WORKER, { size: 2 });
  try {
    const runs = Array.from({ length: 6 }, () => pool.run<number>('sleep', { ms: 30 }));
    assert.ok(pool.queued >= 3, `expected queued tasks, got ${pool.queued}`);
    const threads = await Promise.all(runs);
    assert.equal(threads.length, 6);
    assert.equal(new Set(threads).size, 2);
  } finally {
    await pool.close();
  }
});

test('transfers buffers both ways', async () => {
  const pool = new WorkerPool(WORKER, { size: 1 });
  try {
    const data = new Uint8Array([1, 2, 3, 250]);
    const ab = data.buffer;
    const r = await pool.run<{ sum: number; length: number; back: Uint8Array }>('bytes', { data }, [ab]);
    assert.equal(r.sum, 256);
    assert.equal(r.length, 4);
    assert.equal(ab.byteLength, 0, 'the sent buffer was moved, not copied');
    assert.equal(new DataView(r.back.buffer, r.back.byteOffset).getUint32(0), 256);
  } finally {
    await pool.close();
  }
});

test('task errors keep their ApiError status and code', async () => {
  const pool = new WorkerPool(WORKER, { size: 1 });
  try {
    await assert.rejects(pool.run('fail', null), (e: unknown) => {
      assert.ok(e instanceof ApiError);
      assert.equal(e.status, 400);
      assert.equal(e.code, 'IMAGE_UNREADABLE');
      return true;
    });
    await assert.rejects(pool.run('no-such-task', null), /unknown task "no-such-task"/);
  } finally {
    await pool.close();
  }
});

test('a crashed worker rejects its task and is replaced', async () => {
  const pool = new WorkerPool(WORKER, { size: 1 });
  try {
    const queuedBehind = pool.run<{ p: unknown }>('echo', 'after exit');
    // The crash task was submitted second but the echo is ahead of it; submit the crash
    // and another task behind it to check the queue keeps moving on the replacement.
    const crash = pool.run('exit', null);
    const after = pool.run<{ p: unknown }>('echo', 'after crash');
    assert.deepEqual((await queuedBehind).p, 'after exit');
    await assert.rejects(crash, (e: unknown) => {
      assert.ok(e instanceof PoolError);
      assert.match(e.message, /exited with code 3 while running task "exit"/);
      return true;
    });
    assert.equal((await after).p, 'after crash');

    await assert.rejects(pool.run('throwUncaught', null), /uncaught error: boom/);
    assert.equal((await pool.run<{ p: unknown }>('echo', 'still alive')).p, 'still alive');
  } finally {
    await pool.close();
  }
});

test('a task over the time limit is rejected and its worker replaced', async () => {
  const pool = new WorkerPool(WORKER, { size: 1, taskTimeoutMs: 3000 });
  try {
    await assert.rejects(pool.run('sleep', { ms: 60_000 }), /did not finish within 3000 ms while running task "sleep"/);
    assert.equal((await pool.run<{ p: unknown }>('echo', 'next')).p, 'next');
  } finally {
    await pool.close();
  }
});

test('workers that cannot start reject tasks instead of hanging', async () => {
  const pool = new WorkerPool(new URL('./pool-broken-worker.fixture.js', import.meta.url), { size: 1 });
  try {
    const runs = [pool.run('echo', 1), pool.run('echo', 2), pool.run('echo', 3)];
    for (const r of runs) await assert.rejects(r, (e: unknown) => e instanceof PoolError && /cannot start|keep dying/.test(e.message));
  } finally {
    await pool.close();
  }
});

test('close() rejects queued work and refuses new work', async () => {
  const pool = new WorkerPool(WORKER, { size: 1 });
  const running = pool.run('sleep', { ms: 5000 });
  const queued = pool.run('echo', 1);
  const checks = [assert.rejects(running, PoolError), assert.rejects(queued, PoolError)];
  await pool.close();
  await Promise.all(checks);
  await assert.rejects(pool.run('echo', 2), /closed/);
});

test('rejects a bad size', () => {
  assert.throws(() => new WorkerPool(WORKER, { size: 0 }), RangeError);
});
