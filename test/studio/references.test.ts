import { test } from 'node:test';
import assert from 'node:assert/strict';
import { arrangeReferences, isSmallFace, type ReferenceFace } from '../../src/studio/references.js';

const face = (yaw: number, size = 200, pitch = 0): ReferenceFace => ({ box: [10, 10, size, size], yaw, pitch, width: 600, height: 400 });

test('frontal first, then the view nearest three-quarter, then training order', () => {
  const items = arrangeReferences([face(12), face(2), face(55), face(28), face(-20)]);
  assert.deepEqual(items.map((i) => i.photo), [1, 3, 0, 2, 4]);
  assert.ok(items.every((i) => !i.crop));
});

test('no turned view: training order after the frontal one; a photo without the face keeps its place', () => {
  assert.deepEqual(arrangeReferences([face(8), null, face(1), face(70)]).map((i) => i.photo), [2, 0, 1, 3]);
  assert.deepEqual(arrangeReferences([null, null]).map((i) => i.photo), [0, 1]);
  assert.deepEqual(arrangeReferences([]), []);
});

test('a small face also goes as a crop, ahead of its photo', () => {
  assert.equal(isSmallFace(face(0, 100)), true); // 100 px of a 400 px short side
  assert.equal(isSmallFace(face(0, 150)), false);
  const items = arrangeReferences([face(0, 200), face(30, 60)]);
  assert.deepEqual(items, [
    { photo: 0, crop: false },
    { photo: 1, crop: true },
    { photo: 1, crop: false },
  ]);
});
