import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planSuperRes, superResolve } from '../../src/enhance/superres.js';
import { psnr, ssim } from '../../src/enhance/metrics.js';
import { gaussian, rng, scene } from './helpers.js';

test('super-resolution plan: scale by need, input capped by the budget', () => {
  assert.equal(planSuperRes(2048, 2048, 2048, 2048).scale, 1);
  assert.equal(planSuperRes(300, 300, 2048, 2048).scale, 4);
  assert.equal(planSuperRes(900, 900, 2048, 2048).scale, 2);
  const big = planSuperRes(1024, 1024, 2048, 2048, 480_000);
  assert.equal(big.scale, 2);
  assert.ok(big.srWidth * big.srHeight <= 480_000 && big.srWidth > 600, JSON.stringify(big));
  const small = planSuperRes(200, 150, 2368, 1728, 480_000);
  assert.deepEqual([small.srWidth, small.srHeight], [200, 150]);
});

test('ESRGAN output is scale× the input, and tiling leaves no visible seams', async () => {
  const img = scene(72, 56, { noise: 3 });
  const whole = await superResolve(img, 2, 'slim', { tile: 256, pad: 0 });
  assert.deepEqual([whole.width, whole.height], [144, 112]);
  const tiled = await superResolve(img, 2, 'slim', { tile: 24, pad: 12 });
  assert.ok(psnr(whole, tiled) > 40, `tiled vs whole PSNR ${psnr(whole, tiled)}`);
  const x4 = await superResolve(img, 4, 'slim', { tile: 32, pad: 8 });
  assert.deepEqual([x4.width, x4.height], [288, 224]);
});

test('PSNR and SSIM: identical images are perfect, noise lowers both', () => {
  const a = scene(64, 64);
  assert.equal(psnr(a, a), Infinity);
  assert.ok(Math.abs(ssim(a, a) - 1) < 1e-6);
  const g = gaussian(rng(9));
  const noisy = { ...a, data: a.data.map((v) => Math.max(0, Math.min(255, Math.round(v + 10 * g())))) };
  const noisier = { ...a, data: a.data.map((v) => Math.max(0, Math.min(255, Math.round(v + 25 * g())))) };
  assert.ok(psnr(a, noisy) > psnr(a, noisier));
  assert.ok(psnr(a, noisy) > 25 && psnr(a, noisy) < 32, `${psnr(a, noisy)}`); // σ=10 → ≈ 28 dB
  assert.ok(ssim(a, noisy) < 1 && ssim(a, noisy) > ssim(a, noisier));
});
