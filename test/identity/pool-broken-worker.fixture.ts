// Worker entry that fails while loading, for pool.test.ts (not a test file).
import { parentPort } from 'node:worker_threads';

if (parentPort) throw new Error('this worker cannot start');
