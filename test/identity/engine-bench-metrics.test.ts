// The verification metrics bench/identity-verify.ts reports (pure functions).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pairScores, thresholdAtFar, verifyMetrics } from '../../bench/identity-verify.js';

test('perfectly separated scores: AUC 1, EER 0, full TAR', () => {
  const genuine = [0.95, 0.97, 0.99];
  const impostor = Array.from({ length: 1000 }, (_, i) => 0.5 + (0.4 * i) / 1000);
  const m = verifyMetrics(genuine, impostor);
  assert.equal(m.auc, 1);
  assert.equal(m.eer, 0);
  assert.equal(m.tarAtFar1e3, 1);
  // Accept when score > threshold: at FAR 1e-3 of 1000 impostors exactly one (the highest) passes.
  assert.equal(m.thresholdFar1e3, impostor[998]);
  assert.equal(m.thresholdFar1e2, impostor[989]);
});

test('overlapping scores: AUC counts ties as half, TAR drops', () => {
  const m = verifyMetrics([0.5, 0.7], [0.5, 0.6]);
  // pairs (g>i): 0.7>0.5, 0.7>0.6, 0.5=0.5 (half), 0.5<0.6 → 2.5/4
  assert.equal(m.auc, 0.625);
  assert.equal(m.tarAtFar1e3, 0.5);
  assert.ok(m.eer > 0 && m.eer <= 0.5);
});

test('threshold at FAR and pair scores', () => {
  assert.equal(thresholdAtFar([0.1, 0.9, 0.5, 0.3], 0.25), 0.5);
  const { genuine, impostor } = pairScores([
    { identity: 'a', embedding: [1, 0] },
    { identity: 'a', embedding: [0.6, 0.8] },
    { identity: 'b', embedding: [0, 1] },
  ]);
  assert.deepEqual(genuine, [0.6]);
  assert.deepEqual(impostor.sort(), [0, 0.8]);
});
