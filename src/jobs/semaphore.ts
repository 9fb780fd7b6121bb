// Bounded concurrency for synchronous studio requests: `slots` run, up to `maxWaiting` wait,
// the rest are refused at once with 503 OVERLOADED so the server never piles up work.
import { ApiError } from '../errors.js';

export class Semaphore {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly slots: number, private readonly maxWaiting: number) {}

  async acquire(): Promise<() => void> {
    if (this.running >= this.slots) {
      if (this.waiting.length >= this.maxWaiting) {
        throw new ApiError(503, 'OVERLOADED', 'The server is busy; retry later.', { 'Retry-After': '10' });
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next(); // the slot passes straight to the next waiter
      else this.running--;
    };
  }
}
