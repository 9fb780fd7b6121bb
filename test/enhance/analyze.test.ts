import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import { analyzeImage, estimateBlur, estimateNoise } from '../../src/enhance/analyze.js';
import { gaussianBlur } from '../../src/enhance/filters.js';
import { lumaPlane } from '../../src/enhance/raw.js';
import { gaussian, rng, scene } from './helpers.js';

test('a dark image has a low mean and a low white point', () => {
  const normal = analyzeImage(scene(128, 96));
  const dark = analyzeImage(scene(128, 96, { gain: 0.25 }));
  assert.ok(dark.exposure.mean < normal.exposure.mean * 0.35, `${dark.exposure.mean} vs ${normal.exposure.mean}`);
  assert.ok(dark.exposure.high < 70);
  assert.ok(normal.exposure.high > 200);
});

test('a blue-cast image reads as cool, a red-cast one as warm', () => {
  const neutral = analyzeImage(scene(96, 96));
  const blue = analyzeImage(scene(96, 96, { tint: [0.8, 0.9, 1.15] }));
  const red = analyzeImage(scene(96, 96, { tint: [1.15, 0.95, 0.8] }));
  assert.ok(Math.abs(neutral.cast.warmth) < 0.02, `neutral warmth ${neutral.cast.warmth}`);
  assert.ok(blue.cast.warmth < -0.2 && blue.cast.b > 1.05, JSON.stringify(blue.cast));
  assert.ok(red.cast.warmth > 0.2 && red.cast.r > 1.05, JSON.stringify(red.cast));
});

test('noise estimate grows with added noise and is close to sigma on a flat image', () => {
  const est = (sigma: number) => analyzeImage(scene(160, 120, { noise: sigma, seed: 3 })).noise;
  const n0 = est(0), n5 = est(5), n15 = est(15);
  assert.ok(n0 < 1, `clean ${n0}`);
  assert.ok(n5 > n0 && n15 > n5, `${n0} ${n5} ${n15}`);
  // Flat grey plus Gaussian noise: Immerkær's estimator is unbiased there.
  const w = 128, h = 128, g = gaussian(rng(11));
  const flat = new Float32Array(w * h).map(() => 128 + 10 * g());
  const sigma = estimateNoise(flat, w, h);
  assert.ok(sigma > 7 && sigma < 12, `flat estimate ${sigma} for σ=10`);
});

test('blur estimate grows with Gaussian blur', () => {
  const img = scene(160, 120);
  const l = lumaPlane(img);
  const b0 = estimateBlur(l, 160, 120);
  const b2 = estimateBlur(gaussianBlur(l, 160, 120, 2), 160, 120);
  const b4 = estimateBlur(gaussianBlur(l, 160, 120, 4), 160, 120);
  assert.ok(b0 < b2 && b2 < b4, `${b0} ${b2} ${b4}`);
  assert.ok(b2 > 1.4 && b2 < 3, `σ=2 estimated as ${b2}`);
});

test('JPEG at quality 10 is blockier than at quality 95', async () => {
  const img = scene(200, 160, { noise: 4 });
  const decode = async (q: number) => {
    const jpg = await sharp(img.data, { raw: { width: 200, height: 160, channels: 3 } }).jpeg({ quality: q }).toBuffer();
    const { data, info } = await sharp(jpg).raw().toBuffer({ resolveWithObject: true });
    return analyzeImage({ data: new Uint8Array(data), width: info.width, height: info.height }).blockiness;
  };
  const q95 = await decode(95), q10 = await decode(10);
  assert.ok(q10 > q95 + 0.1, `q10 ${q10} vs q95 ${q95}`);
});
