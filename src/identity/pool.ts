// A generic worker_threads pool: tasks are dispatched by name with a payload, Buffers can be
// transferred, work queues while every worker is busy. A worker that dies is replaced and
// the task it was running is rejected (never left hanging).
import { recordWorkerTask } from '../metrics/registry.js';
import os from 'node:os';
import { Worker, type TransferListItem } from 'node:worker_threads';
import { ApiError, type ErrorCode } from '../errors.js';

export interface PoolOptions {
  /** Number of workers; default os.availableParallelism(). */
  size?: number;
  /** Passed to every worker as `workerData`. */
  workerData?: unknown;
  /** Name used in error messages and thread names. */
  name?: string;
  /** Worker heap limit in MB (the wasm heap is separate). */
  maxOldGenerationSizeMb?: number;
  /**
   * A task running longer than this is treated as a hung worker: the worker is terminated
   * and replaced, the task rejected with PoolError. The time counts from dispatch, so it
   * includes a fresh worker's start-up (model loading). Default: no limit.
   */
  taskTimeoutMs?: number;
}

/** Thrown for a task whose worker died or for work submitted after close(). */
export class PoolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PoolError';
  }
}

/** Message from the pool to a worker. */
export interface TaskMessage {
  id: number;
  task: string;
  payload: unknown;
}
/** Reply from a worker. Errors are plain data so they survive structured cloning. */
export type ReplyMessage =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: SerializedError };
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  status?: number;
  code?: string;
  detail?: string;
}

interface Job {
  id: number;
  task: string;
  payload: unknown;
  transfer: TransferListItem[];
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  /** performance.now() at dispatch (busy-time metric). */
  startedAt?: number;
}

interface Slot {
  worker: Worker;
  job: Job | null;
  timer?: NodeJS.Timeout;
  /** Set once the worker is being replaced or closed, so its exit is not handled twice. */
  retired: boolean;
}

export class WorkerPool {
  readonly size: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;
  /** Deaths since any worker last answered: a worker that cannot even start is respawned with backoff. */
  private deathsWithoutReply = 0;

  constructor(
    private readonly workerUrl: URL,
    private readonly opts: PoolOptions = {},
  ) {
    const size = opts.size ?? os.availableParallelism();
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`pool size must be a positive integer, got ${size}`);
    this.size = size;
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  /** Number of tasks waiting for a free worker. */
  get queued(): number {
    return this.queue.length;
  }

  /**
   * Runs `task` on a worker. `transfer` lists ArrayBuffers moved (not copied) to the worker;
   * they become unusable in the caller. Rejects with the worker's error (ApiError is rebuilt)
   * or with PoolError when the worker died.
   */
  run<T = unknown>(task: string, payload: unknown, transfer: TransferListItem[] = []): Promise<T> {
    if (this.closed) return Promise.reject(new PoolError(`${this.label} is closed`));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, task, payload, transfer, resolve: resolve as (v: unknown) => void, reject });
      this.pump();
    });
  }

  /** Terminates every worker; queued and running tasks are rejected. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new PoolError(`${this.label} closed before task "${job.task}" ran`));
    await Promise.all(
      this.slots.map(async (slot) => {
        slot.retired = true;
        clearTimeout(slot.timer);
        const job = slot.job;
        slot.job = null;
        job?.reject(new PoolError(`${this.label} closed while task "${job.task}" was running`));
        await slot.worker.terminate();
      }),
    );
  }

  private get label(): string {
    return `worker pool${this.opts.name ? ` "${this.opts.name}"` : ''}`;
  }

  private spawn(): Slot {
    const worker = new Worker(this.workerUrl, {
      workerData: this.opts.workerData,
      name: this.opts.name,
      resourceLimits: this.opts.maxOldGenerationSizeMb ? { maxOldGenerationSizeMb: this.opts.maxOldGenerationSizeMb } : undefined,
    });
    const slot: Slot = { worker, job: null, retired: false };
    worker.on('message', (msg: ReplyMessage) => this.onReply(slot, msg));
    worker.on('error', (err) => this.onDeath(slot, `threw an uncaught error: ${err.message}`));
    worker.on('exit', (code) => this.onDeath(slot, `exited with code ${code}`));
    // Idle workers must not keep the process alive; a busy one is ref'd while it works.
    worker.unref();
    return slot;
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.job || slot.retired) continue;
      const job = this.queue.shift()!;
      slot.job = job;
      job.startedAt = performance.now();
      slot.worker.ref();
      if (this.opts.taskTimeoutMs) {
        const ms = this.opts.taskTimeoutMs;
        slot.timer = setTimeout(() => this.onDeath(slot, `did not finish within ${ms} ms`), ms);
      }
      const msg: TaskMessage = { id: job.id, task: job.task, payload: job.payload };
      try {
        slot.worker.postMessage(msg, job.transfer);
      } catch (err) {
        // e.g. an uncloneable payload: fail this task only.
        slot.job = null;
        slot.worker.unref();
        job.reject(err);
      }
    }
  }

  private onReply(slot: Slot, msg: ReplyMessage): void {
    this.deathsWithoutReply = 0;
    const job = slot.job;
    if (!job || job.id !== msg.id) return;
    clearTimeout(slot.timer);
    slot.job = null;
    slot.worker.unref();
    recordWorkerTask(job.task, performance.now() - (job.startedAt ?? performance.now()), msg.ok ? 'ok' : 'error');
    if (msg.ok) job.resolve(msg.result);
    else job.reject(deserializeError(msg.error));
    this.pump();
  }

  private onDeath(slot: Slot, why: string): void {
    if (slot.retired) return;
    slot.retired = true;
    clearTimeout(slot.timer);
    const job = slot.job;
    slot.job = null;
    // 'error' is followed by 'exit': make sure the worker is gone either way.
    void slot.worker.terminate();
    if (job) recordWorkerTask(job.task, performance.now() - (job.startedAt ?? performance.now()), 'died');
    if (job) job.reject(new PoolError(`${this.label}: worker ${why} while running task "${job.task}"`));
    if (this.closed) return;
    this.deathsWithoutReply++;
    const respawn = () => {
      if (this.closed) return;
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots[i] = this.spawn();
      this.pump();
    };
    if (this.deathsWithoutReply <= this.size) respawn();
    else {
      // Workers die without ever answering (e.g. the entry fails to load): back off instead of
      // spinning. Work still queued is rejected rather than left waiting for a worker that may never come.
      for (const queued of this.queue.splice(0)) {
        queued.reject(new PoolError(`${this.label}: workers keep dying (last ${why}); task "${queued.task}" not run`));
      }
      const delay = Math.min(30_000, 100 * 2 ** Math.min(this.deathsWithoutReply - this.size, 9));
      setTimeout(respawn, delay).unref();
    }
  }
}

export function serializeError(err: unknown): SerializedError {
  if (err instanceof ApiError) {
    return { name: err.name, message: err.message, stack: err.stack, status: err.status, code: err.code, detail: err.detail };
  }
  if (err instanceof Error) return { name: err.name, message: err.message, stack: err.stack };
  return { name: 'Error', message: String(err) };
}

export function deserializeError(e: SerializedError): Error {
  if (e.name === 'ApiError' && typeof e.status === 'number' && e.code) {
    return new ApiError(e.status, e.code as ErrorCode, e.detail ?? e.message);
  }
  const err = new Error(e.message);
  err.name = e.name;
  if (e.stack) err.stack = e.stack;
  return err;
}

/** A task handler as run inside a worker: returns its result and what to transfer back. */
export type TaskHandler = (payload: any) => Promise<{ result: unknown; transfer?: ArrayBuffer[] }>;

/**
 * Worker side of the protocol: answers the pool's task messages with `handlers`.
 * `ready` (e.g. model loading) is awaited before the first task runs; if it fails, every
 * task is rejected with that error. Does nothing outside a worker thread.
 */
export async function serveTasks(
  port: import('node:worker_threads').MessagePort | null,
  handlers: Record<string, TaskHandler>,
  ready: Promise<unknown> = Promise.resolve(),
): Promise<void> {
  if (!port) return;
  const readyResult = ready.then(
    () => null,
    (err: unknown) => err,
  );
  port.on('message', async (msg: TaskMessage) => {
    let reply: ReplyMessage;
    let transfer: ArrayBuffer[] = [];
    try {
      const loadError = await readyResult;
      if (loadError) throw loadError;
      const handler = Object.hasOwn(handlers, msg.task) ? handlers[msg.task] : undefined;
      if (!handler) throw new Error(`unknown task "${msg.task}"`);
      const out = await handler(msg.payload);
      reply = { id: msg.id, ok: true, result: out.result };
      transfer = out.transfer ?? [];
    } catch (err) {
      reply = { id: msg.id, ok: false, error: serializeError(err) };
    }
    port.postMessage(reply, transfer);
  });
}

/** A Node Buffer as a standalone ArrayBuffer that can be transferred without detaching the caller's memory. */
export function transferableCopy(buf: Uint8Array): ArrayBuffer {
  const ab = new ArrayBuffer(buf.byteLength);
  new Uint8Array(ab).set(buf);
  return ab;
}
