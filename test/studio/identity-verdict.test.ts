import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judge, bestCandidates, scoreFaces, type FaceScore, type Subject } from '../../src/studio/identity-verdict.js';
import type { FaceObservation, ProfileModel } from '../../src/identity/types.js';

const A: Subject = { profileId: 'a', kind: 'person', threshold: 0.947 };
const B: Subject = { profileId: 'b', kind: 'person', threshold: 0.947 };
const face = (assigned: string | null, a: number, b: number, x = 0): FaceScore => ({ box: [x, 0, 10, 10], assigned, similarity: { a, b } });

test('passes when every required subject is recognised; min similarity is the worst of them', () => {
  const v = judge([face('a', 0.99, 0.84), face('b', 0.85, 0.96)], [A, B], 0.04);
  assert.deepEqual(v, { passed: true, missing: [], minSimilarity: 0.96, repair: null });
});

test('one of two missing: named, its best free face counts as its similarity, a stranger is not repairable', () => {
  const v = judge([face('a', 0.99, 0.84), face(null, 0.85, 0.87)], [A, B], 0.04);
  assert.equal(v.passed, false);
  assert.deepEqual(v.missing, ['b']);
  assert.equal(v.minSimilarity, 0.87);
  assert.equal(v.repair, null);
});

test('a look-alike just under the cut is repairable, with the face to fix', () => {
  const v = judge([face('a', 0.99, 0.84, 0), face(null, 0.85, 0.93, 50)], [A, B], 0.04);
  assert.deepEqual(v.repair, [{ profileId: 'b', box: [50, 0, 10, 10], similarity: 0.93 }]);
});

test('a face taken by another profile is never the missing one, and two missing need two faces', () => {
  // The only face near b is assigned to a: b has no face of its own.
  assert.equal(judge([face('a', 0.99, 0.93)], [A, B], 0.04).repair, null);
  assert.equal(judge([face('a', 0.99, 0.93)], [A, B], 0.04).minSimilarity, 0);
  // One free face close to both: only one of the two can be it.
  assert.equal(judge([face(null, 0.93, 0.93)], [A, B], 0.04).repair, null);
  const two = judge([face(null, 0.93, 0.80, 0), face(null, 0.80, 0.92, 90)], [A, B], 0.04);
  assert.deepEqual(two.repair?.map((r) => r.profileId), ['a', 'b']);
});

test('nothing required passes with similarity 1; no face at all misses everyone', () => {
  assert.deepEqual(judge([], [], 0.04), { passed: true, missing: [], minSimilarity: 1, repair: null });
  assert.deepEqual(judge([], [A], 0.04), { passed: false, missing: ['a'], minSimilarity: 0, repair: null });
});

test('bestCandidates: passing first, then highest minimum similarity, earlier on ties', () => {
  const v = (passed: boolean, minSimilarity: number) => ({ passed, missing: [], minSimilarity, repair: null });
  assert.deepEqual(bestCandidates([v(false, 0.93), v(true, 0.95), v(false, 0.94), v(true, 0.99), v(false, 0.94)], 5), [3, 1, 2, 4, 0]);
  assert.deepEqual(bestCandidates([v(false, 0.5)], 2), [0]);
});

test('scoreFaces: one-to-one assignment plus every similarity', () => {
  const unit = (i: number) => Array.from({ length: 4 }, (_, k) => (k === i ? 1 : 0));
  const model = (c: number[]): ProfileModel => ({ version: 1, embeddings: [c], centroid: c, threshold: 0.9, referencePhotos: [], picture: { photo: 0, box: [0, 0, 1, 1] } });
  const obs = (e: number[]): FaceObservation => ({ box: [1, 2, 3, 4], score: 1, embedding: e, pose: { yaw: 0, pitch: 0, roll: 0 }, sharpness: 1, blur: 1, brightness: 1, clipped: 0, real: null, visibility: null });
  const faces = scoreFaces([obs(unit(0)), obs(unit(2))], [{ profileId: 'a', model: model(unit(0)) }, { profileId: 'b', model: model(unit(1)) }]);
  assert.deepEqual(faces, [
    { box: [1, 2, 3, 4], assigned: 'a', similarity: { a: 1, b: 0 } },
    { box: [1, 2, 3, 4], assigned: null, similarity: { a: 0, b: 0 } },
  ]);
});
