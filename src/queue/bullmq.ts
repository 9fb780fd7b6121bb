// Distributed queue: BullMQ on Redis behind the Queue port, for any number of worker nodes.
// BullMQ gives each run a lock (lease) renewed from this event loop while the handler runs
// (model work runs in worker threads, so renewals are never starved), moves jobs whose lock
// expired (process killed or paused) back to waiting, and refuses completion by a run whose
// lock token is no longer current. The job rows in the database stay the source of truth: the
// use cases fence their final writes on `task.token` (store claimRun / update with runToken),
// which a run that lost its lease no longer holds.
import { hostname } from 'node:os';
import { Queue as BullQueue, Worker, type Job } from 'bullmq';
import { CRASH_SLACK, TaskInterrupted, type EnqueueOptions, type Queue, type QueueTask, type TaskHandler } from './types.js';
import { exponentialBackoff } from './backoff.js';
import { newId } from '../store/ids.js';

export interface BullQueueOptions {
  /** redis://… */
  url: string;
  /** Key prefix of every queue key (tests use one per run). Default "likeness". */
  prefix?: string;
  /** Lock (lease) length, ms; BullMQ renews it every leaseMs/2. Default 30 000. */
  leaseMs?: number;
  /** How often expired locks are looked for, ms. Default leaseMs / 2. */
  stalledCheckMs?: number;
  backoffMs?: (attempt: number) => number;
  /** After stop() aborts the remaining handlers, how long it waits for them. Default 1000. */
  abortWaitMs?: number;
  onError?: (err: unknown) => void;
}

type Registration = {
  concurrency: number;
  onExhausted?: (task: QueueTask<any>, error: unknown) => Promise<void>;
  handler: TaskHandler<any>;
};

type Active = { job: Job; token: string; controller: AbortController; relinquished: boolean };

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Un-counts the start of a run that is being handed back (stop()), while its lock is still
 * ours: BullMQ counts every start (`ats`), and run() reads starts not matched by a failure as
 * interruptions. A graceful hand-back is not one (a rolling restart must not push jobs towards
 * "interrupted N times"), as in the embedded queue. KEYS: job hash, its lock; ARGV: lock token.
 */
const UNCOUNT_START = `if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('HINCRBY', KEYS[1], 'ats', -1) return 1 end return 0`;

// BullMQ refuses custom ids with ':' (its own key separator); ours use it ("train:<id>").
const toJobId = (id: string) => id.replace(/%/g, '%25').replace(/:/g, '%3A');
const fromJobId = (id: string) => id.replace(/%3A/g, ':').replace(/%25/g, '%');
// Queue names are ours ("profile.fetch", "studio"): no ':' either.

export function createBullQueue(opts: BullQueueOptions): Queue & { readonly owner: string } {
  const prefix = opts.prefix ?? 'likeness';
  const leaseMs = opts.leaseMs ?? 30_000;
  const backoff = opts.backoffMs ?? exponentialBackoff();
  const abortWaitMs = opts.abortWaitMs ?? 1000;
  const onError = opts.onError ?? ((err: unknown) => console.error('[queue]', err));
  const owner = `${hostname()}:${process.pid}:${newId('', 8)}`;
  // Workers block on Redis while idle: their commands must wait through a reconnect, not fail.
  const connection = { url: opts.url, maxRetriesPerRequest: null };

  const producers = new Map<string, BullQueue>();
  const registrations = new Map<string, Registration>();
  const workers = new Map<string, Worker>();
  const active = new Map<string, Active>();
  let started = false;

  const producer = (name: string): BullQueue => {
    let q = producers.get(name);
    if (!q) {
      q = new BullQueue(name, { connection: { url: opts.url, maxRetriesPerRequest: 3 }, prefix });
      q.on('error', onError);
      producers.set(name, q);
    }
    return q;
  };

  const withUncount = new WeakSet<object>();
  async function uncountStart(queue: string, jobId: string, lockToken: string): Promise<void> {
    const q = producer(queue);
    const client = await q.getBackend().client;
    if (!withUncount.has(client)) {
      client.defineCommand('likenessUncountStart', { numberOfKeys: 2, lua: UNCOUNT_START });
      withUncount.add(client);
    }
    const key = q.toKey(jobId);
    await client.runCommand('likenessUncountStart', [key, `${key}:lock`, lockToken]);
  }

  async function run(name: string, reg: Registration, job: Job, lockToken: string | undefined, bullSignal?: AbortSignal): Promise<void> {
    const attempt = Math.max(1, job.attemptsStarted);
    const interruptions = Math.max(0, attempt - 1 - job.attemptsMade);
    const token = `${job.id}@${attempt}@${lockToken ?? owner}`;
    const task: QueueTask<unknown> = { id: fromJobId(job.id!), queue: name, payload: job.data, attempt, token, interruptions, readyAt: job.timestamp + (job.opts.delay ?? 0) };
    const maxAttempts = job.opts.attempts ?? 1;
    if (interruptions > CRASH_SLACK) {
      // A poison task (or a fleet restarting under it): stop running it.
      await exhaust(reg, task, new TaskInterrupted(interruptions));
      return;
    }
    const controller = new AbortController();
    const onBullAbort = () => controller.abort(bullSignal?.reason ?? new Error('queue lease lost'));
    bullSignal?.addEventListener('abort', onBullAbort, { once: true });
    const entry: Active = { job, token: lockToken ?? '', controller, relinquished: false };
    active.set(job.id!, entry);
    try {
      await reg.handler(task, controller.signal);
    } catch (err) {
      if (entry.relinquished) throw err; // handed back or lost: BullMQ's own bookkeeping decides
      if (job.attemptsMade + 1 >= maxAttempts) await exhaust(reg, task, err);
      throw err;
    } finally {
      bullSignal?.removeEventListener('abort', onBullAbort);
      active.delete(job.id!);
    }
  }

  async function exhaust(reg: Registration, task: QueueTask<unknown>, error: unknown): Promise<void> {
    if (!reg.onExhausted) return;
    try {
      await reg.onExhausted(task, error);
    } catch (err) {
      onError(err);
    }
  }

  function startWorker(name: string, reg: Registration): void {
    const worker = new Worker(name, (job, token, signal) => run(name, reg, job, token, signal), {
      connection,
      prefix,
      concurrency: reg.concurrency,
      lockDuration: leaseMs,
      stalledInterval: opts.stalledCheckMs ?? Math.max(1000, Math.floor(leaseMs / 2)),
      // Interrupted runs are counted and given up on by run() (CRASH_SLACK), as in the embedded
      // queue, so that onExhausted always learns of it; BullMQ must not fail them silently.
      maxStalledCount: 1000,
      settings: { backoffStrategy: (attemptsMade: number) => Math.max(0, backoff(attemptsMade)) },
      name: owner,
    });
    worker.on('error', onError);
    // A renewal that failed means another worker may own the job now: stop and write nothing.
    worker.on('lockRenewalFailed', (ids: string[]) => {
      for (const id of ids) {
        const a = active.get(id);
        if (a && !a.relinquished) {
          a.relinquished = true;
          a.controller.abort(new Error('queue lease lost'));
        }
      }
    });
    workers.set(name, worker);
  }

  return {
    owner,

    async enqueue<T>(queue: string, payload: T, o: EnqueueOptions = {}): Promise<string> {
      const id = o.id ?? newId('task_', 24);
      const maxAttempts = o.maxAttempts ?? 3;
      if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new RangeError('maxAttempts must be a positive integer');
      // Same jobId again (a retry, the stranded-work sweep) is a no-op in BullMQ while the job is kept.
      await producer(queue).add(queue, payload ?? null, {
        jobId: toJobId(id),
        attempts: maxAttempts,
        backoff: { type: 'custom' },
        delay: o.runAt !== undefined ? Math.max(0, o.runAt - Date.now()) : 0,
        removeOnComplete: { age: 24 * 3600, count: 10_000 },
        removeOnFail: { age: 7 * 24 * 3600 },
      });
      return id;
    },

    process<T>(queue: string, o: { concurrency: number; onExhausted?: (task: QueueTask<T>, error: unknown) => Promise<void> }, handler: TaskHandler<T>): void {
      if (registrations.has(queue)) throw new Error(`queue "${queue}" already has a handler`);
      if (!Number.isInteger(o.concurrency) || o.concurrency < 1) throw new RangeError('concurrency must be a positive integer');
      const reg: Registration = { concurrency: o.concurrency, onExhausted: o.onExhausted as Registration['onExhausted'], handler: handler as TaskHandler<any> };
      registrations.set(queue, reg);
      if (started) startWorker(queue, reg);
    },

    start(): void {
      if (started) return;
      started = true;
      for (const [name, reg] of registrations) if (!workers.has(name)) startWorker(name, reg);
    },

    async stop(graceMs: number): Promise<void> {
      // Stop taking work; running handlers get graceMs to finish.
      const closing = [...workers.values()].map((w) => w.close().catch(onError));
      const all = Promise.allSettled(closing);
      if (active.size > 0) await Promise.race([all, sleep(Math.max(0, graceMs))]);
      // Hand back what is still running so another worker takes it at once (no lease wait),
      // without counting it as an interruption (UNCOUNT_START).
      for (const a of [...active.values()]) {
        a.relinquished = true;
        try {
          if (a.token) {
            await uncountStart(a.job.queueName, a.job.id!, a.token);
            await a.job.moveToWait(a.token);
          }
        } catch (err) {
          onError(err);
        }
        a.controller.abort(new Error('queue stopping'));
      }
      await Promise.race([all, sleep(abortWaitMs)]);
      for (const w of workers.values()) await w.close(true).catch(() => undefined);
      workers.clear();
      for (const q of producers.values()) await q.close().catch(() => undefined);
      producers.clear();
      started = false;
    },

    async depth(queue: string): Promise<number> {
      const counts = await producer(queue).getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      return Object.values(counts).reduce((s, n) => s + n, 0);
    },
  };
}
