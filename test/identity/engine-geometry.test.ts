// Pure parts of the engine runtime: alignment geometry, quality metrics, crop regions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alignmentTransform, boundingBox, clipBox, landmarkNetBox, type Point2 } from '../../src/identity/alignment.js';
import { brightnessAndClipping, cropMetrics, laplacianVariance, toLuma } from '../../src/identity/quality-metrics.js';
import { squareRegion } from '../../src/identity/runtime.js';

/** 68 landmarks where only the reference groups matter: eyes (36-47) and mouth (48-67). */
function landmarks(leftEye: Point2, rightEye: Point2, mouth: Point2): Point2[] {
  const pts: Point2[] = Array.from({ length: 68 }, () => [0, 0]);
  for (let i = 36; i < 42; i++) pts[i] = leftEye;
  for (let i = 42; i < 48; i++) pts[i] = rightEye;
  for (let i = 48; i < 68; i++) pts[i] = mouth;
  return pts;
}
const apply = (p: number[], x: number, y: number): Point2 => [p[0] * x + p[1] * y + p[2], p[3] * x + p[4] * y + p[5]];

test('without rotation the transform reproduces face-api dlib alignment rectangle', () => {
  const lm = landmarks([100, 100], [160, 100], [130, 160]);
  // eye-to-mouth distance = hypot(30, 60); side = dist / 0.45; centre = mean of the 3 points.
  const side = Math.hypot(30, 60) / 0.45;
  const c: Point2 = [130, 120];
  const p = alignmentTransform(lm, 150, { rotate: false, scale: 1 });
  const [x0, y0] = apply(p, 0, 0);
  const [x1, y1] = apply(p, 150, 150);
  assert.ok(Math.abs(x0 - (c[0] - 0.5 * side)) < 1e-9);
  assert.ok(Math.abs(y0 - (c[1] - 0.43 * side)) < 1e-9);
  assert.ok(Math.abs(x1 - x0 - side) < 1e-9 && Math.abs(y1 - y0 - side) < 1e-9);
  assert.deepEqual(p.slice(6), [0, 0]);
});

test('with rotation the eyes land on one output row, at the same place as an upright face', () => {
  const upright = alignmentTransform(landmarks([100, 100], [160, 100], [130, 160]), 150, { rotate: true, scale: 1 });
  // Same face rolled by 30° around the origin.
  const r = (Math.PI / 180) * 30;
  const rot = ([x, y]: Point2): Point2 => [x * Math.cos(r) - y * Math.sin(r), x * Math.sin(r) + y * Math.cos(r)];
  const rolled = alignmentTransform(landmarks(rot([100, 100]), rot([160, 100]), rot([130, 160])), 150, { rotate: true, scale: 1 });
  for (const [u, v] of [[0, 0], [75, 64], [150, 150], [20, 130]]) {
    const a = rot(apply(upright, u, v));
    const b = apply(rolled, u, v);
    assert.ok(Math.hypot(a[0] - b[0], a[1] - b[1]) < 1e-6, `${u},${v}: ${a} vs ${b}`);
  }
});

test('a larger crop scale widens the sampled region around the same centre', () => {
  const lm = landmarks([100, 100], [160, 100], [130, 160]);
  const p1 = alignmentTransform(lm, 150, { rotate: false, scale: 1 });
  const p2 = alignmentTransform(lm, 150, { rotate: false, scale: 1.2 });
  assert.ok(Math.abs(p2[0] / p1[0] - 1.2) < 1e-9);
  const c1 = apply(p1, 75, 64.5);
  const c2 = apply(p2, 75, 64.5);
  assert.ok(Math.hypot(c1[0] - c2[0], c1[1] - c2[1]) < 1e-9);
});

test('landmark net box follows the measured relation to the mesh box', () => {
  const [x, y, w, h] = landmarkNetBox([100, 200, 100, 200]);
  assert.ok(Math.abs(x - 97.3) < 1e-9 && Math.abs(y - 179.8) < 1e-9);
  assert.ok(Math.abs(w - 100.9) < 1e-9 && Math.abs(h - 218.6) < 1e-9);
  assert.throws(() => alignmentTransform([[0, 0]], 150, { rotate: false, scale: 1 }), RangeError);
});

test('boxes: bounding box of points, clipping to the image', () => {
  assert.deepEqual(boundingBox([[5, 7], [1, 9], [3, 2]]), [1, 2, 4, 7]);
  assert.deepEqual(boundingBox([]), [0, 0, 0, 0]);
  assert.deepEqual(clipBox([-10.5, 5.2, 50, 20], 30, 40), [0, 5, 30, 21]);
  assert.equal(clipBox([100, 100, 10, 10], 50, 50), null);
});

test('Laplacian variance: zero on flat images, high on fine detail, lower after blurring', () => {
  const n = 32;
  const flat = new Float32Array(n * n).fill(128);
  assert.equal(laplacianVariance(flat, n, n), 0);
  const checker = Float32Array.from({ length: n * n }, (_, i) => ((i % n) + Math.floor(i / n)) % 2 ? 255 : 0);
  const blurred = new Float32Array(n * n);
  for (let y = 0; y < n; y++)
    for (let x = 0; x < n; x++) {
      let s = 0;
      let c = 0;
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const yy = y + dy;
          const xx = x + dx;
          if (yy >= 0 && yy < n && xx >= 0 && xx < n) {
            s += checker[yy * n + xx];
            c++;
          }
        }
      blurred[y * n + x] = s / c;
    }
  const sharp = laplacianVariance(checker, n, n);
  assert.ok(sharp > 100000);
  assert.ok(laplacianVariance(blurred, n, n) < sharp / 10);
  assert.equal(laplacianVariance(flat, 2, 2), 0);
});

test('brightness, clipping and luma', () => {
  assert.deepEqual(brightnessAndClipping([0, 255, 100, 100]), { brightness: 113.75, clipped: 0.5 });
  const luma = toLuma([255, 0, 0, 0, 255, 0, 0, 0, 255], 3, 1);
  assert.ok(Math.abs(luma[0] - 76.245) < 1e-3 && Math.abs(luma[1] - 149.685) < 1e-3 && Math.abs(luma[2] - 29.07) < 1e-3);
  assert.throws(() => toLuma([1, 2], 1, 1), RangeError);
  const m = cropMetrics(new Uint8Array(4 * 4 * 3).fill(250), 4, 4);
  assert.equal(m.clipped, 1);
  assert.equal(m.sharpness, 0);
});

test('square crop region stays inside the image', () => {
  assert.deepEqual(squareRegion([40, 40, 20, 20], 0.5, 200, 100), { left: 30, top: 30, width: 40, height: 40 });
  // Near the corner: shifted inside, not shrunk.
  assert.deepEqual(squareRegion([0, 0, 20, 20], 0.5, 200, 100), { left: 0, top: 0, width: 40, height: 40 });
  // Larger than the image: limited by the short side.
  assert.deepEqual(squareRegion([50, 20, 100, 60], 0.5, 200, 100), { left: 50, top: 0, width: 100, height: 100 });
});
