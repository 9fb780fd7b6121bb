import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeImage } from '../../src/enhance/analyze.js';
import { parseIntents } from '../../src/enhance/intent.js';
import { gentlerSpec, planCorrections, variantSpecs } from '../../src/enhance/plan.js';
import { applyTone, isIdentityTone } from '../../src/enhance/tone.js';
import { meanLuma, scene } from './helpers.js';

const none = parseIntents('');

test('a clean, well-exposed image gets no restoration', () => {
  const plan = planCorrections(analyzeImage(scene(128, 96)), none, 1);
  assert.equal(plan.denoise, null);
  assert.equal(plan.deblur, null);
  assert.ok(isIdentityTone(plan.tone), JSON.stringify(plan.tone));
});

test('an underexposed image is brightened back toward the original', () => {
  const orig = scene(128, 96);
  const dark = scene(128, 96, { gain: 0.3 });
  const plan = planCorrections(analyzeImage(dark), none, 1);
  assert.ok(plan.tone.white < 120, `white ${plan.tone.white}`);
  const fixed = applyTone(dark, plan.tone);
  assert.ok(Math.abs(meanLuma(fixed) - meanLuma(orig)) < Math.abs(meanLuma(dark) - meanLuma(orig)) * 0.3);
});

test('a blue cast is corrected toward neutral', () => {
  const blue = scene(96, 96, { tint: [0.75, 0.9, 1.2] });
  const plan = planCorrections(analyzeImage(blue), none, 1);
  assert.ok(plan.tone.gains[0] > 1 && plan.tone.gains[2] < 1, JSON.stringify(plan.tone.gains));
  const after = analyzeImage(applyTone(blue, plan.tone)).cast.warmth;
  assert.ok(after > analyzeImage(blue).cast.warmth + 0.1);
});

test('noise triggers the denoiser, stronger with more noise', () => {
  const p5 = planCorrections(analyzeImage(scene(128, 96, { noise: 6 })), none, 1);
  const p15 = planCorrections(analyzeImage(scene(128, 96, { noise: 15 })), none, 1);
  assert.ok(p5.denoise && p15.denoise);
  assert.ok(p15.denoise!.eps > p5.denoise!.eps);
});

test('intents change the look in the asked direction', () => {
  const stats = analyzeImage(scene(64, 64));
  assert.ok(planCorrections(stats, parseIntents('brighter'), 1).look.gamma < 1);
  assert.ok(planCorrections(stats, parseIntents('darker'), 1).look.gamma > 1);
  const warm = planCorrections(stats, parseIntents('warmer'), 1).look.gains;
  assert.ok(warm[0] > warm[2]);
  assert.equal(planCorrections(stats, parseIntents('black and white'), 1).look.monochrome, true);
  assert.equal(planCorrections(stats, parseIntents('softer'), 1).sharpen === null ||
    planCorrections(stats, parseIntents('softer'), 1).sharpen!.m2 < planCorrections(stats, none, 1).sharpen!.m2, true);
});

test('variants are distinct and the gentler ladder ends', () => {
  const specs = variantSpecs(4);
  assert.deepEqual(specs.map((s) => s.label), ['natural', 'strong', 'vivid', 'gentle']);
  assert.equal(variantSpecs(1).length, 1);
  assert.equal(variantSpecs(9).length, 4);
  const seen: string[] = [];
  let label: string | undefined = 'strong';
  while (label) {
    seen.push(label);
    label = gentlerSpec(label)?.label;
  }
  assert.deepEqual(seen, ['strong', 'natural', 'gentle', 'minimal']);
  assert.equal(gentlerSpec('unknown'), null);
});
