// Worker used by pool.test.ts: small tasks exercising the pool protocol (not a test file).
import { parentPort, threadId } from 'node:worker_threads';
import { serveTasks } from '../../src/identity/pool.js';
import { ApiError } from '../../src/errors.js';

void serveTasks(parentPort, {
  echo: async (p) => ({ result: { p, threadId } }),
  sleep: async (p: { ms: number }) => {
    await new Promise((r) => setTimeout(r, p.ms));
    return { result: threadId };
  },
  /** Sums the bytes it received and sends back a transferred buffer. */
  bytes: async (p: { data: Uint8Array }) => {
    let sum = 0;
    for (const b of p.data) sum += b;
    const ab = new ArrayBuffer(4);
    new DataView(ab).setUint32(0, sum);
    return { result: { sum, length: p.data.byteLength, back: new Uint8Array(ab) }, transfer: [ab] };
  },
  fail: async () => {
    throw new ApiError(400, 'IMAGE_UNREADABLE', 'cannot read that');
  },
  exit: async () => process.exit(3),
  /** Crashes the thread from outside any handler promise. */
  throwUncaught: async () => {
    setImmediate(() => {
      throw new Error('boom');
    });
    return new Promise(() => undefined);
  },
});
