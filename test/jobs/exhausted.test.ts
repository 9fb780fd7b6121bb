// What a job shows when the queue gave up on it: the number of interruptions, not a bare
// "internal error".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exhaustedJobError } from '../../src/jobs/service.js';
import { TaskInterrupted } from '../../src/queue/types.js';

test('a job given up after repeated interruptions says so, with the count', () => {
  const e = exhaustedJobError(new TaskInterrupted(3), 5);
  assert.equal(e.code, 'INTERNAL_ERROR');
  assert.match(e.detail, /interrupted 3 times/);
  assert.match(e.detail, /after 5 runs/);
});

test('a job whose runs all failed says how many times', () => {
  const e = exhaustedJobError(new Error('boom'), 3);
  assert.equal(e.code, 'INTERNAL_ERROR');
  assert.match(e.detail, /failed 3 times/);
});
