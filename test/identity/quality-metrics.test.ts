// The blur-in-pixels estimator (quality-metrics.ts) on synthetic images of known blur.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gaussianBlurXY } from '../../src/enhance/filters.js';
import { QUALITY } from '../../src/identity/screen.js';
import { BLUR_REFERENCE_PX, directionalBlur, downscaleArea, faceBlur, lumaRegion } from '../../src/identity/quality-metrics.js';

/** A grey RGB image of `side` px with random rectangles (hard edges in every direction), blurred by (sx, sy). */
function scene(side: number, sx: number, sy: number, seed = 7): Uint8Array {
  let a = seed;
  const rand = () => ((a = (a * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const plane = new Float32Array(side * side).fill(128);
  for (let r = 0; r < 40; r++) {
    const x0 = Math.floor(rand() * side), y0 = Math.floor(rand() * side);
    const w = 4 + Math.floor(rand() * side * 0.3), h = 4 + Math.floor(rand() * side * 0.3);
    const v = 40 + rand() * 180;
    // Rotated rectangles too, so diagonal edges exist.
    const ang = rand() * Math.PI;
    const c = Math.cos(ang), s = Math.sin(ang);
    for (let y = 0; y < side; y++)
      for (let x = 0; x < side; x++) {
        const u = (x - x0) * c + (y - y0) * s, t = -(x - x0) * s + (y - y0) * c;
        if (u >= 0 && u < w && t >= 0 && t < h) plane[y * side + x] = v;
      }
  }
  const b = gaussianBlurXY(plane, side, side, sx, sy);
  const rgb = new Uint8Array(side * side * 3);
  for (let i = 0; i < b.length; i++) rgb[i * 3] = rgb[i * 3 + 1] = rgb[i * 3 + 2] = Math.round(b[i]);
  return rgb;
}

test('the blur estimate grows with the true Gaussian blur of the edges and splits sharp from σ 1.5', () => {
  const side = 120;
  const box = [0, 0, side, side] as const;
  const sigmas = [0, 0.5, 1, 1.5, 2.5];
  const est = sigmas.map((s) => faceBlur(scene(side, s, s), side, side, box));
  for (let i = 1; i < est.length; i++) assert.ok(est[i] > est[i - 1], est.join());
  // An estimate, not the exact sigma: the pixel grid and the difference filter widen every edge
  // a little (perfectly sharp edges read about 1 px, diagonals most).
  assert.ok(est[0] < 1.2 && est[1] < 1.3, est.join());
  assert.ok(est[3] > QUALITY.maxBlurPx, est.join());
  assert.ok(est[4] > 2.5 && est[4] < 4, est.join());
});

test('blur along one direction (motion) is caught: the worst direction counts', () => {
  const side = 120;
  const p = lumaRegion(scene(side, 2.5, 0), side, side, [0, 0, side, side]);
  const along = directionalBlur(p, 1, 0);
  const across = directionalBlur(p, 0, 1);
  assert.ok(along > 2 && across < 1.3, `x ${along}, y ${across}`);
  assert.ok(faceBlur(scene(side, 2.5, 0), side, side, [0, 0, side, side]) >= along);
});

test('a large face is judged at the reference size: 2 px of blur on a 512 px face counts as 1 px', () => {
  const side = 2 * BLUR_REFERENCE_PX;
  const ref = BLUR_REFERENCE_PX;
  const big = faceBlur(scene(side, 2, 2), side, side, [0, 0, side, side]);
  const same = faceBlur(scene(ref, 1, 1), ref, ref, [0, 0, ref, ref]);
  const atRef = faceBlur(scene(ref, 2, 2), ref, ref, [0, 0, ref, ref]);
  assert.ok(Math.abs(big - same) < 0.25 && atRef > big + 0.6, `512 px σ2 ${big}, 256 px σ1 ${same}, 256 px σ2 ${atRef}`);
});

test('area downscale averages: a 2× downscale of a checkerboard is flat grey', () => {
  const w = 8, h = 8;
  const luma = new Float32Array(w * h).map((_, i) => ((i % w) + Math.floor(i / w)) % 2 ? 200 : 0);
  const d = downscaleArea({ luma, width: w, height: h }, 0.5);
  assert.equal(d.width, 4);
  assert.ok(d.luma.every((v) => v === 100));
});

test('the region is clipped to the image and tiny regions report the largest blur', () => {
  const rgb = scene(40, 1, 1);
  const r = lumaRegion(rgb, 40, 40, [30, 30, 20, 20]);
  assert.deepEqual([r.width, r.height], [10, 10]);
  assert.equal(faceBlur(rgb, 40, 40, [38, 38, 5, 5]), 8);
});
