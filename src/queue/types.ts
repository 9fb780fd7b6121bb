// Port of the durable work queue. Embedded adapter: a table in the metadata database plus
// in-process workers holding leases; a distributed adapter (BullMQ on Redis) fits the same shape.

export interface QueueTask<T = unknown> {
  id: string;
  queue: string;
  payload: T;
  /** 1 on the first run, 2 on the first retry, ... */
  attempt: number;
  /**
   * Unique to this run of the task: the lease. Handlers take it into the record they work on
   * (store `claimRun`) and fence their final writes on it, so a run that lost its lease (its
   * process paused past it, another worker took over) cannot write a result, charge or call back.
   */
  token: string;
  /** Earlier runs that ended without an outcome because their process stopped (crash, kill, restart). */
  interruptions: number;
  /** When the task became runnable (unix ms): for the queue-wait metric. */
  readyAt?: number;
}

export interface EnqueueOptions {
  /** Makes enqueue idempotent: a second enqueue with the same id is a no-op. */
  id?: string;
  maxAttempts?: number; // default 3
  /** Earliest start, unix ms. */
  runAt?: number;
}

export type TaskHandler<T = unknown> = (task: QueueTask<T>, signal: AbortSignal) => Promise<void>;

export interface Queue {
  enqueue<T>(queue: string, payload: T, opts?: EnqueueOptions): Promise<string>;
  /**
   * Registers the handler of a queue. A handler that throws is retried with backoff until
   * maxAttempts, then `onExhausted` is called so the owner can mark its record failed.
   * A task whose worker died (crash, kill -9) is run again after restart.
   */
  process<T>(
    queue: string,
    opts: { concurrency: number; onExhausted?: (task: QueueTask<T>, error: unknown) => Promise<void> },
    handler: TaskHandler<T>,
  ): void;
  /** Starts polling; idempotent. */
  start(): void;
  /** Stops taking work and waits up to `graceMs` for running handlers, then aborts them. */
  stop(graceMs: number): Promise<void>;
  /** Waiting + running tasks of one queue (for admission control: 503 OVERLOADED). */
  depth(queue: string): Promise<number>;
}

/** Runs interrupted by crashes also count as attempts; past maxAttempts + this, a task fails without running again (poison task). */
export const CRASH_SLACK = 2;

/** What onExhausted gets when a task was interrupted too often to be run again. */
export class TaskInterrupted extends Error {
  constructor(readonly interruptions: number) {
    super(`the task was interrupted ${interruptions} times (its process stopped while it ran)`);
    this.name = 'TaskInterrupted';
  }
}
