import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backProject, mixRaw, resizeRaw } from '../../src/enhance/consistency.js';
import { psnr } from '../../src/enhance/metrics.js';
import { upscaleTo } from '../../src/enhance/pipeline.js';
import type { RawRgb } from '../../src/enhance/raw.js';
import { gaussian, rng, scene } from './helpers.js';

const withNoise = (img: RawRgb, sigma: number, seed: number): RawRgb => {
  const g = gaussian(rng(seed));
  return { ...img, data: img.data.map((v) => Math.max(0, Math.min(255, Math.round(v + sigma * g())))) };
};

test('back-projection reduces the down-sampled error and moves the estimate toward the truth', async () => {
  const truth = scene(128, 128);
  const lo = await resizeRaw(truth, 32, 32);
  // A wrong high-resolution estimate: brighter overall and with invented texture.
  const wrong = withNoise({ ...truth, data: truth.data.map((v) => Math.min(255, v + 12)) }, 12, 3);
  const errBefore = psnr(lo, await resizeRaw(wrong, 32, 32));
  const fixed = await backProject(wrong, lo);
  const errAfter = psnr(lo, await resizeRaw(fixed, 32, 32));
  assert.ok(errAfter > errBefore + 6, `down-sampled PSNR ${errBefore.toFixed(2)} → ${errAfter.toFixed(2)}`);
  assert.ok(psnr(truth, fixed) > psnr(truth, wrong) + 1, `vs truth ${psnr(truth, wrong).toFixed(2)} → ${psnr(truth, fixed).toFixed(2)}`);
});

test('mixRaw: weights per sample, rounds, and refuses different sizes', () => {
  const a: RawRgb = { data: new Uint8Array([0, 100, 255]), width: 1, height: 1 };
  const b: RawRgb = { data: new Uint8Array([255, 200, 0]), width: 1, height: 1 };
  assert.deepEqual([...mixRaw(a, b, 1).data], [0, 100, 255]);
  assert.deepEqual([...mixRaw(a, b, 0).data], [255, 200, 0]);
  assert.deepEqual([...mixRaw(a, b, 0.6).data], [102, 140, 153]);
  assert.throws(() => mixRaw(a, { data: new Uint8Array(6), width: 2, height: 1 }, 0.5));
});

test('×4 upscale (ESRGAN mixed with back-projected Lanczos) still gives the input back when downscaled', async () => {
  const lo = scene(40, 40, { seed: 5 });
  const out = await upscaleTo(lo, 160, 160);
  assert.deepEqual([out.width, out.height], [160, 160]);
  const back = await resizeRaw(out, 40, 40);
  // Lanczos up then down alone loses some sharpness; the back-projected result agrees more closely.
  const plainBack = await resizeRaw(await resizeRaw(lo, 160, 160), 40, 40);
  assert.ok(psnr(lo, back) > 38, `down(out) vs input ${psnr(lo, back).toFixed(2)} dB`);
  assert.ok(psnr(lo, back) > psnr(lo, plainBack), `${psnr(lo, back).toFixed(2)} vs plain ${psnr(lo, plainBack).toFixed(2)}`);
});

test('×4 without back-projection (after strong denoising) is ESRGAN alone: no mix', async () => {
  const lo = scene(32, 32, { seed: 11, noise: 4 });
  const plain = await upscaleTo(lo, 128, 128, { backProjection: 0, srWeightX4: 1 });
  const mixed = await upscaleTo(lo, 128, 128, { backProjection: 0, srWeightX4: 0.6 });
  assert.deepEqual(mixed.data, plain.data);
  // With back-projection the weight matters.
  const bp1 = await upscaleTo(lo, 128, 128, { backProjection: 1, srWeightX4: 1 });
  const bp6 = await upscaleTo(lo, 128, 128, { backProjection: 1, srWeightX4: 0.6 });
  assert.notDeepEqual(bp6.data, bp1.data);
});
