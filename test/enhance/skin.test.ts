// Skin tone: colour science against published values, exposure judged from the scene (a
// well-exposed darker-skinned portrait is left alone, an underexposed or backlit face is lifted),
// the "brighter" look keeps hue, and the guard's drift rules.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import sharp from 'sharp';
import { analyzeImage } from '../../src/enhance/analyze.js';
import { deltaE2000, faceColour, hueChroma, ita, srgbToLab } from '../../src/enhance/colour.js';
import { parseIntents } from '../../src/enhance/intent.js';
import { exposureFault, gentlerSpec, planCorrections } from '../../src/enhance/plan.js';
import type { RawRgb } from '../../src/enhance/raw.js';
import { skinAllowance, skinDrift } from '../../src/enhance/skin.js';
import { applyTone, isIdentityTone } from '../../src/enhance/tone.js';

const FIXTURES = new URL('../../../test/fixtures/photos/', import.meta.url);
type Box = [number, number, number, number];
// Face boxes of the fixtures as the identity engine detects them (fixture properties).
const PORTRAIT_061: Box = [25, 8, 205, 228];
const BACKLIT_P08: Box = [263, 95, 156, 186];

async function load(name: string, gain = 1): Promise<RawRgb> {
  let s = sharp(await readFile(new URL(name, FIXTURES))).removeAlpha();
  if (gain !== 1) s = s.linear(gain, 0);
  const { data, info } = await s.raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height };
}
const none = parseIntents('');

test('CIEDE2000 matches Sharma, Wu & Dalal (2005) test pairs; ITA° of mid-grey-yellow is 0', () => {
  const pairs: Array<[[number, number, number], [number, number, number], number]> = [
    [[50, 2.6772, -79.7751], [50, 0, -82.7485], 2.0425],
    [[50, 0, 0], [50, -1, 2], 2.3669],
    [[50, 2.5, 0], [73, 25, -18], 27.1492],
    [[2.0776, 0.0795, -1.135], [0.9033, -0.0636, -0.5514], 0.9082],
  ];
  for (const [[L1, a1, b1], [L2, a2, b2], want] of pairs) {
    assert.ok(Math.abs(deltaE2000({ L: L1, a: a1, b: b1 }, { L: L2, a: a2, b: b2 }) - want) < 1e-3);
  }
  assert.ok(Math.abs(ita({ L: 50, a: 10, b: 20 })) < 1e-9);
  assert.ok(ita({ L: 70, a: 10, b: 15 }) > 45); // light skin
  const white = srgbToLab(255, 255, 255);
  assert.ok(Math.abs(white.L - 100) < 0.01 && Math.abs(white.a) < 0.01 && Math.abs(white.b) < 0.01);
});

test('a well-exposed darker-skinned portrait (face fills the frame, median luma ≈ 60) is not brightened', async () => {
  const img = await load('london_061_portrait.jpg');
  for (const faces of [[PORTRAIT_061], []]) {
    const stats = analyzeImage(img, faces);
    assert.ok(stats.exposure.median < 70, `median ${stats.exposure.median}`); // what the old rule took for underexposure
    const plan = planCorrections(stats, none, 1);
    assert.ok(isIdentityTone(plan.tone), JSON.stringify(plan.tone));
    assert.equal(plan.exposureFix, false);
  }
  const f = analyzeImage(img, [PORTRAIT_061]).faceTone!;
  assert.ok(f.lab.L < 35 && f.ita < -30, `L ${f.lab.L} ITA ${f.ita}`);
});

test('the same portrait underexposed (×0.35) is brightened back, face lightness toward the original, hue kept', async () => {
  const clean = faceColour(await load('london_061_portrait.jpg'), PORTRAIT_061)!;
  const dark = await load('london_061_portrait.jpg', 0.35);
  const stats = analyzeImage(dark, [PORTRAIT_061]);
  assert.ok(exposureFault(stats).dim > 0.9);
  const plan = planCorrections(stats, none, 1);
  assert.equal(plan.exposureFix, true);
  const before = faceColour(dark, PORTRAIT_061)!, after = faceColour(applyTone(dark, plan.tone), PORTRAIT_061)!;
  assert.ok(Math.abs(after.lab.L - clean.lab.L) < Math.abs(before.lab.L - clean.lab.L) * 0.4, `L ${before.lab.L} → ${after.lab.L}, clean ${clean.lab.L}`);
  assert.ok(Math.abs(hueChroma(after.lab).hue - hueChroma(clean.lab).hue) < 8);
});

test('a real backlit photo (face far darker than any lit skin, bright background) is brightened', async () => {
  const img = await load('caltech_p08_0135.jpg');
  const stats = analyzeImage(img, [BACKLIT_P08]);
  assert.ok(stats.exposure.high > 200); // highlights alone say "well exposed"
  const plan = planCorrections(stats, none, 1);
  assert.ok(plan.tone.gamma < 0.8, `gamma ${plan.tone.gamma}`);
  const before = faceColour(img, BACKLIT_P08)!, after = faceColour(applyTone(img, plan.tone), BACKLIT_P08)!;
  assert.ok(after.lab.L > before.lab.L + 8, `L ${before.lab.L} → ${after.lab.L}`);
});

test('"brighter" lightens the face without moving its hue', async () => {
  const img = await load('london_061_portrait.jpg');
  const plan = planCorrections(analyzeImage(img, [PORTRAIT_061]), parseIntents('make it brighter'), 1);
  const before = faceColour(img, PORTRAIT_061)!, after = faceColour(applyTone(img, plan.look), PORTRAIT_061)!;
  assert.ok(after.lab.L > before.lab.L + 5, `L ${before.lab.L} → ${after.lab.L}`);
  const dh = hueChroma(after.lab).hue - hueChroma(before.lab).hue;
  assert.ok(Math.abs(dh) < 1.5, `hue moved ${dh}`);
  // Darker too.
  const darker = faceColour(applyTone(img, planCorrections(analyzeImage(img), parseIntents('darker'), 1).look), PORTRAIT_061)!;
  assert.ok(darker.lab.L < before.lab.L - 3 && Math.abs(hueChroma(darker.lab).hue - hueChroma(before.lab).hue) < 1.5);
});

test('skin drift: lightened skin trips the guard unless lightness was asked for or diagnosed; hue never may move', async () => {
  const img = await load('london_061_portrait.jpg');
  const before = faceColour(img, PORTRAIT_061)!;
  const lighter = faceColour(applyTone(img, { gains: [1, 1, 1], black: 0, white: 180, gamma: 1, contrast: 0, saturation: 1, monochrome: false }), PORTRAIT_061)!;
  const pinker = faceColour(applyTone(img, { gains: [1.15, 0.95, 0.95], black: 0, white: 255, gamma: 1, contrast: 0, saturation: 1, monochrome: false }), PORTRAIT_061)!;
  const same = skinDrift(before, before, skinAllowance(none, false));
  assert.ok(same.ok && same.deltaE === 0);
  const d = skinDrift(before, lighter, skinAllowance(none, false));
  assert.equal(d.ok, false, JSON.stringify(d));
  assert.ok(d.deltaLuma > 8);
  assert.equal(skinDrift(before, lighter, skinAllowance(parseIntents('brighter'), false)).ok, true);
  assert.equal(skinDrift(before, lighter, skinAllowance(none, true)).ok, true);
  assert.equal(skinDrift(before, pinker, skinAllowance(none, false)).ok, false);
  assert.equal(skinDrift(before, pinker, skinAllowance(parseIntents('brighter'), false)).ok, false);
  assert.equal(skinDrift(before, pinker, skinAllowance(parseIntents('warmer'), false)).ok, true);
});

test('skin-tone drift falls back to the tone-free rung, then to minimal', () => {
  for (const label of ['natural', 'strong', 'vivid', 'gentle']) assert.equal(gentlerSpec(label, 'skin')?.label, 'faithful');
  assert.equal(gentlerSpec('faithful', 'skin')?.label, 'minimal');
  assert.equal(gentlerSpec('minimal', 'skin'), null);
  assert.equal(gentlerSpec('faithful')?.keepTone, true);
  assert.equal(gentlerSpec('unknown', 'skin'), null);
});
