// Embedded durable queue: a `queue_tasks` table in the metadata database plus in-process
// workers holding leases. At-least-once: a task is marked done only after its handler
// resolved; a task whose worker died is run again (immediately on restart in the
// single-process mode, after its lease expires when several processes share the file).
import { hostname } from 'node:os';
import type { Kysely, Selectable } from 'kysely';
import { CRASH_SLACK, TaskInterrupted, type EnqueueOptions, type Queue, type QueueTask, type TaskHandler } from './types.js';
import type { QueueDatabase, QueueTasksTable } from '../store/schema.js';
import { newId } from '../store/ids.js';
import { exponentialBackoff } from './backoff.js';

export interface EmbeddedQueueOptions {
  /** How often to look for due tasks, ms. Default 500. Local enqueues wake the poller at once. */
  pollMs?: number;
  /** Lease length, ms; renewed every leaseMs/3 while the handler runs. Default 30 000. */
  leaseMs?: number;
  /** Identifies this worker in leases. Default host:pid:random (unique per process start). */
  owner?: string;
  /**
   * true (default): this process is the only one using the file, so at start every task
   * left `running` is an orphan of a dead process and is made waiting immediately.
   * false: several processes share the file; only this owner's leftovers are reset at
   * start and other tasks are reclaimed when their lease expires.
   */
  exclusive?: boolean;
  /** Delay before retry number `attempt` (attempt = the run that failed, 1-based). Default 1 s, 4 s, 16 s, ... */
  backoffMs?: (attempt: number) => number;
  /** How long done/failed tasks are kept, ms. Default 24 h. */
  retainMs?: number;
  /** After stop() aborts the remaining handlers, how long it waits for them to settle. Default 1000. */
  abortWaitMs?: number;
  /** Background errors (database unavailable, onExhausted threw). Default: console.error. */
  onError?: (err: unknown) => void;
}

export interface EmbeddedQueue extends Queue {
  readonly owner: string;
}

export { CRASH_SLACK } from './types.js';

type Registration = {
  concurrency: number;
  onExhausted?: (task: QueueTask<any>, error: unknown) => Promise<void>;
  handler: TaskHandler<any>;
  running: number;
};

type Active = {
  controller: AbortController;
  done: Promise<void>;
  renewTimer: NodeJS.Timeout;
  /** Lease lost (reclaimed elsewhere) or released by stop(): this worker must not write the outcome. */
  relinquished: boolean;
};

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const errorText = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e)).slice(0, 4000);
const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));

export function createEmbeddedQueue<DB extends QueueDatabase>(database: Kysely<DB>, opts: EmbeddedQueueOptions = {}): EmbeddedQueue {
  const db = database as unknown as Kysely<QueueDatabase>;
  const pollMs = opts.pollMs ?? 500;
  const leaseMs = opts.leaseMs ?? 30_000;
  const owner = opts.owner ?? `${hostname()}:${process.pid}:${newId('', 8)}`;
  const exclusive = opts.exclusive ?? true;
  const backoff = opts.backoffMs ?? exponentialBackoff();
  const retainMs = opts.retainMs ?? 24 * 60 * 60 * 1000;
  const abortWaitMs = opts.abortWaitMs ?? 1000;
  const onError = opts.onError ?? ((err: unknown) => console.error('[queue]', err));

  const registrations = new Map<string, Registration>();
  const active = new Map<string, Active>();
  let started = false;
  let stopping = false;
  let recovered = false;
  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<void> | undefined;
  let again = false;
  let lastCleanup = 0;

  function schedule(delay: number): void {
    if (!started || stopping) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      void runTick();
    }, delay);
  }

  function wake(): void {
    if (!started || stopping) return;
    if (ticking) again = true;
    else schedule(0);
  }

  function runTick(): Promise<void> {
    if (ticking) {
      again = true;
      return ticking;
    }
    ticking = (async () => {
      try {
        do {
          again = false;
          await tick();
        } while (again && !stopping);
      } catch (err) {
        onError(err);
      } finally {
        ticking = undefined;
        schedule(pollMs);
      }
    })();
    return ticking;
  }

  async function recover(now: number): Promise<void> {
    let q = db
      .updateTable('queue_tasks')
      .set({ status: 'waiting', lease_owner: null, lease_until: null, run_at: now, updated_at: now })
      .where('status', '=', 'running');
    if (!exclusive) q = q.where('lease_owner', '=', owner);
    await q.execute();
  }

  async function tick(): Promise<void> {
    const now = Date.now();
    if (!recovered) {
      await recover(now);
      recovered = true;
    }
    // Leases nobody renewed: their worker died or hung.
    await db
      .updateTable('queue_tasks')
      .set({ status: 'waiting', lease_owner: null, lease_until: null, updated_at: now })
      .where('status', '=', 'running')
      .where('lease_until', '<', now)
      .execute();
    if (now - lastCleanup > 60_000) {
      lastCleanup = now;
      await db
        .deleteFrom('queue_tasks')
        .where('status', 'in', ['done', 'failed'])
        .where('finished_at', '<', now - retainMs)
        .execute();
    }
    for (const [queue, reg] of registrations) {
      while (!stopping && reg.running < reg.concurrency) {
        const row = await claim(queue);
        if (!row) break;
        start(reg, row);
      }
    }
  }

  async function claim(queue: string): Promise<Selectable<QueueTasksTable> | undefined> {
    const now = Date.now();
    // One statement: the sub-select picks the oldest due task and the outer WHERE re-checks
    // it is still waiting, so two workers never both claim it.
    return db
      .updateTable('queue_tasks')
      .set((eb) => ({
        status: 'running',
        attempt: eb('attempt', '+', 1),
        lease_owner: owner,
        lease_until: now + leaseMs,
        updated_at: now,
      }))
      .where('id', '=', (eb) =>
        eb
          .selectFrom('queue_tasks')
          .select('id')
          .where('queue', '=', queue)
          .where('status', '=', 'waiting')
          .where('run_at', '<=', now)
          .orderBy('run_at', 'asc')
          .orderBy('created_at', 'asc')
          .limit(1),
      )
      .where('status', '=', 'waiting')
      .returningAll()
      .executeTakeFirst();
  }

  /** Applies an outcome only if this worker still holds the lease. */
  async function settle(id: string, set: Partial<Selectable<QueueTasksTable>>): Promise<boolean> {
    const r = await db
      .updateTable('queue_tasks')
      .set({ ...set, updated_at: Date.now() })
      .where('id', '=', id)
      .where('status', '=', 'running')
      .where('lease_owner', '=', owner)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  function start(reg: Registration, row: Selectable<QueueTasksTable>): void {
    reg.running++;
    const controller = new AbortController();
    const entry: Active = { controller, done: Promise.resolve(), renewTimer: undefined as unknown as NodeJS.Timeout, relinquished: false };
    entry.renewTimer = setInterval(() => {
      if (entry.relinquished) return;
      const now = Date.now();
      db.updateTable('queue_tasks')
        .set({ lease_until: now + leaseMs, updated_at: now })
        .where('id', '=', row.id)
        .where('status', '=', 'running')
        .where('lease_owner', '=', owner)
        .executeTakeFirst()
        .then((r) => {
          if (Number(r.numUpdatedRows) === 0 && !entry.relinquished) {
            // Another worker reclaimed the task: stop working on it and write nothing.
            entry.relinquished = true;
            controller.abort(new Error('queue lease lost'));
          }
        })
        .catch(onError);
    }, Math.max(10, Math.floor(leaseMs / 3)));
    active.set(row.id, entry);
    entry.done = execute(reg, row, entry)
      .catch(onError)
      .finally(() => {
        clearInterval(entry.renewTimer);
        active.delete(row.id);
        reg.running--;
        wake();
      });
  }

  async function execute(reg: Registration, row: Selectable<QueueTasksTable>, entry: Active): Promise<void> {
    const attempt = num(row.attempt);
    const maxAttempts = num(row.max_attempts);
    let task: QueueTask<unknown>;
    try {
      const interruptions = Math.max(0, attempt - 1 - num(row.failures));
      task = { id: row.id, queue: row.queue, payload: JSON.parse(row.payload), attempt, token: `${row.id}@${attempt}@${owner}`, interruptions, readyAt: num(row.run_at) };
    } catch (err) {
      await settle(row.id, { status: 'failed', last_error: errorText(err), finished_at: Date.now(), lease_owner: null, lease_until: null });
      return;
    }
    if (attempt > maxAttempts + CRASH_SLACK) {
      await exhaust(reg, task, new TaskInterrupted(task.interruptions), row.id);
      return;
    }
    let failure: { error: unknown } | undefined;
    try {
      await reg.handler(task, entry.controller.signal);
    } catch (error) {
      failure = { error };
    }
    if (entry.relinquished) return;
    if (!failure) {
      await settle(row.id, { status: 'done', finished_at: Date.now(), lease_owner: null, lease_until: null, last_error: null });
      return;
    }
    if (attempt >= maxAttempts) {
      await exhaust(reg, task, failure.error, row.id);
      return;
    }
    await settle(row.id, {
      status: 'waiting',
      failures: num(row.failures) + 1,
      run_at: Date.now() + Math.max(0, backoff(attempt)),
      last_error: errorText(failure.error),
      lease_owner: null,
      lease_until: null,
    });
  }

  async function exhaust(reg: Registration, task: QueueTask<unknown>, error: unknown, id: string): Promise<void> {
    // The owner is told before the task is closed, so a crash in between repeats the
    // notification rather than losing it.
    if (reg.onExhausted) {
      try {
        await reg.onExhausted(task, error);
      } catch (err) {
        onError(err);
      }
    }
    await settle(id, { status: 'failed', last_error: errorText(error), finished_at: Date.now(), lease_owner: null, lease_until: null });
  }

  return {
    owner,

    async enqueue<T>(queue: string, payload: T, o: EnqueueOptions = {}): Promise<string> {
      const id = o.id ?? newId('task_', 24);
      const maxAttempts = o.maxAttempts ?? 3;
      if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new RangeError('maxAttempts must be a positive integer');
      const now = Date.now();
      await db
        .insertInto('queue_tasks')
        .values({
          id,
          queue,
          payload: JSON.stringify(payload ?? null),
          status: 'waiting',
          attempt: 0,
          max_attempts: maxAttempts,
          run_at: o.runAt ?? now,
          lease_owner: null,
          lease_until: null,
          last_error: null,
          created_at: now,
          updated_at: now,
          finished_at: null,
        })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
      wake();
      return id;
    },

    process<T>(
      queue: string,
      o: { concurrency: number; onExhausted?: (task: QueueTask<T>, error: unknown) => Promise<void> },
      handler: TaskHandler<T>,
    ): void {
      if (registrations.has(queue)) throw new Error(`queue "${queue}" already has a handler`);
      if (!Number.isInteger(o.concurrency) || o.concurrency < 1) throw new RangeError('concurrency must be a positive integer');
      registrations.set(queue, {
        concurrency: o.concurrency,
        onExhausted: o.onExhausted as Registration['onExhausted'],
        handler: handler as TaskHandler<any>,
        running: 0,
      });
      wake();
    },

    start(): void {
      if (started) return;
      started = true;
      stopping = false;
      schedule(0);
    },

    async stop(graceMs: number): Promise<void> {
      if (!started) return;
      stopping = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await ticking;
      const all = () => Promise.allSettled([...active.values()].map((a) => a.done));
      if (active.size > 0) await Promise.race([all(), sleep(Math.max(0, graceMs))]);
      const leftovers = [...active.entries()];
      for (const [id, a] of leftovers) {
        a.relinquished = true;
        clearInterval(a.renewTimer);
        // Give the task back untouched (this run does not count) so the next start runs it.
        try {
          await db
            .updateTable('queue_tasks')
            .set((eb) => ({
              status: 'waiting',
              attempt: eb('attempt', '-', 1),
              lease_owner: null,
              lease_until: null,
              run_at: Date.now(),
              updated_at: Date.now(),
            }))
            .where('id', '=', id)
            .where('status', '=', 'running')
            .where('lease_owner', '=', owner)
            .execute();
        } catch (err) {
          onError(err);
        }
        a.controller.abort(new Error('queue stopping'));
      }
      if (leftovers.length > 0) await Promise.race([all(), sleep(abortWaitMs)]);
      started = false;
      recovered = false;
    },

    async depth(queue: string): Promise<number> {
      const r = await db
        .selectFrom('queue_tasks')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('queue', '=', queue)
        .where('status', 'in', ['waiting', 'running'])
        .executeTakeFirstOrThrow();
      return num(r.n);
    },
  };
}
