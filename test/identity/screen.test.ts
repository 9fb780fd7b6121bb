import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { after, before, test } from 'node:test';
import { createIdentityEngine } from '../../src/identity/engine.js';
import { NOTES, QUALITY, REASONS, blurLimit, primaryFace, referenceQuality, screenFace, screenPhoto } from '../../src/identity/screen.js';
import type { Box, IdentityEngine } from '../../src/identity/types.js';
import { PAIR_THRESHOLD } from '../../src/identity/thresholds.js';
import { cosine } from '../../src/identity/vectors.js';
import { face } from './synthetic.js';

const emb = [1, 0, 0];

test('a sharp, frontal, well exposed, large real face is accepted', () => {
  assert.deepEqual(screenFace(face(emb)), { accepted: true, reasons: [], notes: [] });
});

test('each defect is rejected with its own reason', () => {
  const cases: [Parameters<typeof face>[1], string][] = [
    [{ box: [0, 0, QUALITY.minFacePx - 10, QUALITY.minFacePx - QUALITY.facePxMargin - 1] }, REASONS.tooSmall],
    [{ brightness: QUALITY.minBrightness - 1 }, REASONS.tooDark],
    [{ brightness: QUALITY.maxBrightness + 1 }, REASONS.tooBright],
    [{ brightness: 170, clipped: QUALITY.maxClipped + 0.1 }, REASONS.tooBright],
    [{ brightness: 80, clipped: QUALITY.maxClipped + 0.1 }, REASONS.tooDark],
    [{ blur: blurLimit(220) + 0.01 }, REASONS.blurry],
    [{ pose: { yaw: QUALITY.maxYaw + 1, pitch: 0, roll: 0 } }, REASONS.pose],
    [{ pose: { yaw: 0, pitch: -QUALITY.maxPitch - 1, roll: 0 } }, REASONS.pose],
    [{ pose: { yaw: 0, pitch: 0, roll: -90 } }, REASONS.pose],
    [{ visibility: QUALITY.minVisibility - 0.01 }, REASONS.occluded],
    [{ real: QUALITY.minReal - 0.01 }, REASONS.notReal],
  ];
  for (const [over, reason] of cases) {
    assert.deepEqual(screenFace(face(emb, over)), { accepted: false, reasons: [reason], notes: [] }, JSON.stringify(over));
  }
});

test('limits are inclusive: a face exactly at each limit passes', () => {
  const f = face(emb, {
    box: [0, 0, QUALITY.minFacePx - QUALITY.facePxMargin, QUALITY.minFacePx - QUALITY.facePxMargin],
    brightness: QUALITY.minBrightness,
    blur: blurLimit(QUALITY.minFacePx),
    pose: { yaw: QUALITY.maxYaw, pitch: QUALITY.maxPitch, roll: QUALITY.maxRoll },
    visibility: QUALITY.minVisibility,
    real: QUALITY.minReal,
  });
  assert.deepEqual(screenFace(f).reasons, []);
});

test('several defects give several reasons; unknown anti-spoof and visibility are not held against a face', () => {
  const r = screenFace(face(emb, { blur: 4, brightness: 20, pose: { yaw: 70, pitch: 0, roll: 0 } }));
  assert.equal(r.accepted, false);
  assert.deepEqual(new Set(r.reasons), new Set([REASONS.blurry, REASONS.tooDark, REASONS.pose]));
  // Blur is measured at the face's own pixels, so a small face can be sharp or blurred too.
  assert.deepEqual(screenFace(face(emb, { blur: 1, box: [0, 0, 30, 30] })).reasons, [REASONS.tooSmall]);
  assert.deepEqual(screenFace(face(emb, { blur: 3, box: [0, 0, 30, 30] })).reasons, [REASONS.tooSmall, REASONS.blurry]);
  assert.equal(screenFace(face(emb, { real: null, visibility: null })).accepted, true);
});

test('the main face of a photo is the large central one, not a poster at the edge', () => {
  const big = (box: Box) => face(emb, { box });
  const a = { width: 1000, height: 600, faces: [big([0, 0, 210, 210]), big([400, 200, 200, 200])] };
  assert.equal(primaryFace(a), 1);
  // ...but a much larger face wins even off-centre.
  const b = { width: 1000, height: 600, faces: [big([0, 0, 400, 400]), big([450, 250, 100, 100])] };
  assert.equal(primaryFace(b), 0);
  assert.equal(primaryFace({ width: 10, height: 10, faces: [] }), -1);
});

test('a photo without faces is rejected for "no face"; otherwise its main face decides', () => {
  assert.deepEqual(screenPhoto({ width: 100, height: 100, faces: [] }), { accepted: false, reasons: [REASONS.noFace], notes: [], face: -1 });
  const r = screenPhoto({ width: 800, height: 600, faces: [face(emb, { box: [0, 0, 90, 90], sharpness: 300 }), face(emb, { box: [250, 150, 300, 300], blur: 4 })] });
  assert.deepEqual(r, { accepted: false, reasons: [REASONS.blurry], notes: [], face: 1 });
});

test('reference quality prefers sharp, frontal, large faces', () => {
  const base = referenceQuality(face(emb));
  assert.ok(referenceQuality(face(emb, { sharpness: 20 })) < base);
  assert.ok(referenceQuality(face(emb, { pose: { yaw: 30, pitch: 0, roll: 0 } })) < base);
  assert.ok(referenceQuality(face(emb, { box: [0, 0, 90, 90] })) < base);
});

// ---------------------------------------------------------------------------------------------
// Real engine on test/fixtures/photos (derived from testdata/derived/quality).


const FIXTURES = new URL('../../../test/fixtures/photos/', import.meta.url);
const photo = (name: string) => readFileSync(new URL(name, FIXTURES));

let engine: IdentityEngine;
before(async () => {
  engine = await createIdentityEngine({ workers: 1 });
});
after(async () => {
  await engine?.close();
});

// Which reasons are acceptable for each defect. "no face" is fine where the detector may
// legitimately give up (too dark, too small, rotated): the photo is rejected either way.
const QUALITY_CASES: [string, string[]][] = [
  ['caltech_p06_0100_blur_sigma3.jpg', [REASONS.blurry]],
  ['caltech_p06_0100_blur_sigma8.jpg', [REASONS.blurry]],
  ['caltech_p06_0100_motionblur.jpg', [REASONS.blurry]],
  ['caltech_p06_0100_dark_x0.18.jpg', [REASONS.tooDark, REASONS.noFace]],
  ['caltech_p06_0100_verydark_x0.06.jpg', [REASONS.tooDark, REASONS.noFace]],
  ['caltech_p06_0100_tiny_120w.jpg', [REASONS.tooSmall, REASONS.noFace]],
  ['caltech_p06_0100_tiny_60w.jpg', [REASONS.tooSmall, REASONS.noFace]],
  ['caltech_p06_0100_small_face_wide_frame.jpg', [REASONS.tooSmall]],
  ['caltech_p06_0100_rotated90.jpg', [REASONS.pose, REASONS.noFace]],
  ['coffee.png', [REASONS.noFace]],
];

test('real photos: the clean originals are accepted', async () => {
  for (const name of ['caltech_p06_0100.jpg', 'caltech_p06_0095.jpg', 'caltech_p13_0180.jpg', 'london_001_neutral.jpg']) {
    const r = screenPhoto(await engine.analyze(photo(name)));
    assert.deepEqual(r.reasons, [], name);
  }
});

test('real photos: each degraded copy is rejected for the right reason', async () => {
  for (const [name, allowed] of QUALITY_CASES) {
    const r = screenPhoto(await engine.analyze(photo(name)));
    assert.equal(r.accepted, false, `${name} accepted`);
    assert.ok(
      r.reasons.some((x) => allowed.includes(x)),
      `${name}: got [${r.reasons.join(', ')}], expected one of [${allowed.join(', ')}]`,
    );
  }
});

test('a sharp but dark face is "too dark", not blurry; a dark blurred face is both', () => {
  assert.deepEqual(screenFace(face(emb, { brightness: 26, blur: 0.9 })).reasons, [REASONS.tooDark]);
  assert.deepEqual(screenFace(face(emb, { brightness: 26, blur: 3 })).reasons, [REASONS.tooDark, REASONS.blurry]);
  assert.deepEqual(screenFace(face(emb, { brightness: 200, blur: blurLimit(220) + 0.01 })).reasons, [REASONS.blurry]);
});

test('the blur limit is flat for small faces and rises to the reference size: a larger face may show more pixels of blur', () => {
  assert.equal(blurLimit(80), QUALITY.maxBlurPx);
  assert.equal(blurLimit(QUALITY.blurRampFromPx), QUALITY.maxBlurPx);
  assert.ok(blurLimit(200) > QUALITY.maxBlurPx && blurLimit(200) < QUALITY.maxBlurLargePx);
  assert.equal(blurLimit(256), QUALITY.maxBlurLargePx);
  assert.equal(blurLimit(1000), QUALITY.maxBlurLargePx);
  assert.deepEqual(screenFace(face(emb, { box: [0, 0, 100, 100], blur: 1.7 })).reasons, [REASONS.blurry]);
  assert.equal(screenFace(face(emb, { box: [0, 0, 300, 300], blur: 1.7 })).accepted, true);
});

test('usable but weak faces are accepted with a note: small (80–119 px) or slightly soft', () => {
  const small = screenFace(face(emb, { box: [0, 0, 90, 100] }));
  assert.deepEqual(small, { accepted: true, reasons: [], notes: [NOTES.smallFace] });
  const soft = screenFace(face(emb, { blur: blurLimit(220) - QUALITY.softBlurMarginPx / 2 }));
  assert.deepEqual(soft, { accepted: true, reasons: [], notes: [NOTES.soft] });
  assert.deepEqual(screenFace(face(emb, { box: [0, 0, 100, QUALITY.noteFacePx] })).notes, []);
  // A rejected face carries reasons only.
  assert.deepEqual(screenFace(face(emb, { box: [0, 0, 90, 100], blur: 3 })).notes, []);
});

test('real photos: JPEG quality 5 is accepted, and harmlessly so (its face still matches the original)', async () => {
  const q5 = await engine.analyze(photo('caltech_p06_0100_jpeg_q5.jpg'));
  const ref = await engine.analyze(photo('caltech_p06_0100.jpg'));
  const r = screenPhoto(q5);
  assert.deepEqual(r.reasons, []);
  assert.ok(cosine(q5.faces[r.face].embedding, ref.faces[screenPhoto(ref).face].embedding) >= PAIR_THRESHOLD);
});

// Issue #8: a sharp real face made small is accepted; the same small face blurred is not.
async function atFaceSize(name: string, px: number, blurSigma = 0): Promise<Buffer> {
  const src = photo(name);
  const a = await engine.analyze(src);
  const f = a.faces[primaryFace(a)];
  const width = Math.round((a.width * px) / Math.max(f.box[2], f.box[3]));
  const small = await sharp(src).resize({ width }).toBuffer();
  return (blurSigma > 0 ? sharp(small).convolve(gaussianKernel2d(blurSigma)) : sharp(small)).jpeg({ quality: 75 }).toBuffer();
}

/** A full (untruncated to 3σ) Gaussian kernel: sharp's blur() trims it and blurs less than asked. */
function gaussianKernel2d(sigma: number) {
  const r = Math.ceil(3 * sigma);
  const size = 2 * r + 1;
  const kernel: number[] = [];
  for (let y = -r; y <= r; y++) for (let x = -r; x <= r; x++) kernel.push(Math.exp(-(x * x + y * y) / (2 * sigma * sigma)));
  return { width: size, height: size, kernel, scale: kernel.reduce((a, b) => a + b, 0) };
}

test('real photos: a sharp face downscaled to 100 px is accepted (with the small-face note); blurred σ 1.5 at that size it is rejected', async () => {
  for (const name of ['caltech_p06_0100.jpg', 'caltech_p13_0180.jpg', 'london_001_neutral.jpg']) {
    const sharpSmall = screenPhoto(await engine.analyze(await atFaceSize(name, 100)));
    assert.equal(sharpSmall.accepted, true, `${name}: ${sharpSmall.reasons}`);
    assert.deepEqual(sharpSmall.notes, [NOTES.smallFace], name);
    const blurred = screenPhoto(await engine.analyze(await atFaceSize(name, 100, 1.5)));
    assert.deepEqual(blurred.reasons, [REASONS.blurry], name);
  }
});

test('real photos: the ~100 px news-style fixtures are accepted, and blur is measured on their own pixels', async () => {
  for (const n of ['0090', '0095', '0099']) {
    const a = await engine.analyze(photo(`caltech_p06_${n}_face100.jpg`));
    const r = screenPhoto(a);
    assert.equal(r.accepted, true, `${n}: ${r.reasons}`);
    assert.ok(a.faces[r.face].blur < QUALITY.maxBlurPx, `${n}: ${a.faces[r.face].blur}`);
  }
});
