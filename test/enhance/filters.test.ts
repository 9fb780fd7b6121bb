import assert from 'node:assert/strict';
import { test } from 'node:test';
import { boxKernel, boxMean, convolveSeparable, deconvolveLandweber, gaussianBlur, gaussianKernel, guidedFilter } from '../../src/enhance/filters.js';
import { estimateBlur } from '../../src/enhance/analyze.js';
import { tileGrid } from '../../src/enhance/superres.js';
import { cropForAspect, snapped2kSize } from '../../src/enhance/geometry.js';
import { gaussian, rng } from './helpers.js';

const W = 64, H = 64;
function step(): Float32Array {
  const p = new Float32Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) p[y * W + x] = x < W / 2 ? 60 : 190;
  return p;
}
const rmse = (a: Float32Array, b: Float32Array) => Math.sqrt(a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0) / a.length);

test('box mean of a constant is the constant', () => {
  const m = boxMean(new Float32Array(W * H).fill(42), W, H, 3);
  assert.ok(m.every((v) => Math.abs(v - 42) < 1e-3));
});

test('guided filter removes noise but keeps a step edge', () => {
  const clean = step();
  const g = gaussian(rng(5));
  const noisy = clean.map((v) => v + 8 * g());
  const out = guidedFilter(noisy, W, H, 3, 20 * 20);
  assert.ok(rmse(out, clean) < rmse(noisy, clean) * 0.6, `${rmse(out, clean)} vs ${rmse(noisy, clean)}`);
  // The edge stays steep: neighbours across it still differ by most of the step.
  const row = 32 * W;
  assert.ok(out[row + W / 2] - out[row + W / 2 - 1] > 60);
});

test('Gaussian deconvolution brings a blurred edge closer to the original', () => {
  const clean = step();
  const blurred = gaussianBlur(clean, W, H, 1.5);
  const restored = deconvolveLandweber(blurred, W, H, gaussianKernel(1.5), gaussianKernel(1.5), 10);
  assert.ok(rmse(restored, clean) < rmse(blurred, clean) * 0.8, `${rmse(restored, clean)} vs ${rmse(blurred, clean)}`);
});

test('Landweber deconvolution undoes most of a horizontal motion blur, which the blur estimate sees as directional', () => {
  // A checker-ish pattern with edges in both directions.
  const clean = new Float32Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) clean[y * W + x] = (Math.floor(x / 11) + Math.floor(y / 13)) % 2 ? 200 : 50;
  const blurred = convolveSeparable(clean, W, H, boxKernel(7), null);
  const bx = estimateBlur(blurred, W, H, 'x'), by = estimateBlur(blurred, W, H, 'y');
  assert.ok(bx > by + 1, `blurX ${bx} blurY ${by}`);
  const restored = deconvolveLandweber(blurred, W, H, boxKernel(7), null, 30);
  assert.ok(rmse(restored, clean) < rmse(blurred, clean) * 0.7, `${rmse(restored, clean)} vs ${rmse(blurred, clean)}`);
});

test('tiles cover every pixel exactly once', () => {
  const w = 300, h = 130;
  const hits = new Uint8Array(w * h);
  for (const t of tileGrid(w, h, 128, 10)) {
    assert.ok(t.px >= 0 && t.py >= 0 && t.px + t.pw <= w && t.py + t.ph <= h);
    for (let y = t.y; y < t.y + t.h; y++) for (let x = t.x; x < t.x + t.w; x++) hits[y * w + x]++;
  }
  assert.ok(hits.every((v) => v === 1));
});

test('2K sizes follow the snapped input aspect', () => {
  assert.deepEqual(snapped2kSize(600, 600), { aspect: '1:1', width: 2048, height: 2048 });
  assert.equal(snapped2kSize(623, 412).aspect, '4:3');
  assert.equal(snapped2kSize(600, 800).aspect, '3:4');
  assert.deepEqual(snapped2kSize(1920, 1080), { aspect: '16:9', width: 2688, height: 1536 });
  assert.equal(snapped2kSize(1080, 1920).height, 2688);
  const crop = cropForAspect(600, 400, { width: 2048, height: 2048 }, [[10, 50, 100, 100]]);
  assert.deepEqual(crop, { left: 0, top: 0, width: 400, height: 400 });
});
