import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attemptBudget, planRound, MAX_IDENTITY_ATTEMPTS } from '../../src/studio/attempt-policy.js';

test('attemptBudget: the request may lower the configured budget, never raise it', () => {
  assert.equal(attemptBudget(3, undefined), 3);
  assert.equal(attemptBudget(3, null), 3);
  assert.equal(attemptBudget(3, 1), 1);
  assert.equal(attemptBudget(3, 2), 2);
  assert.equal(attemptBudget(3, 8), 3);
  assert.equal(attemptBudget(3, 0), 1);
  assert.equal(attemptBudget(100, undefined), MAX_IDENTITY_ATTEMPTS);
});

const base = { round: 1, perCall: 1, identity: true, repairable: [] as number[], canRepair: true };

test('one image per call: one call per output still missing', () => {
  assert.deepEqual(planRound({ ...base, need: 3 }), { repairs: [], calls: [1, 1, 1] });
  assert.deepEqual(planRound({ ...base, need: 0 }), { repairs: [], calls: [] });
});

test('several images per call: the call is filled when identity matters, split by the per-call limit', () => {
  assert.deepEqual(planRound({ ...base, need: 1, perCall: 4 }), { repairs: [], calls: [4] });
  assert.deepEqual(planRound({ ...base, need: 2, perCall: 8 }), { repairs: [], calls: [4] });
  assert.deepEqual(planRound({ ...base, need: 3, perCall: 2 }), { repairs: [], calls: [2, 1] });
  assert.deepEqual(planRound({ ...base, need: 1, perCall: 4, identity: false }), { repairs: [], calls: [1] });
});

test('look-alikes are repaired first, one edit per missing output, the rest generated', () => {
  assert.deepEqual(planRound({ ...base, need: 2, repairable: [5] }), { repairs: [5], calls: [1] });
  assert.deepEqual(planRound({ ...base, need: 1, repairable: [5, 7] }), { repairs: [5], calls: [] });
  assert.deepEqual(planRound({ ...base, need: 1, repairable: [5], canRepair: false }), { repairs: [], calls: [1] });
});
