import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { createIdentityEngine } from '../../src/identity/engine.js';
import { REASONS } from '../../src/identity/screen.js';
import { centroidThreshold } from '../../src/identity/thresholds.js';
import { MAX_REFERENCE_PHOTOS, MIN_ACCEPTED, decideProfile, failureKind, trainProfile, type PhotoInput, type TrainingPhoto } from '../../src/identity/train.js';
import type { Box, FaceObservation, IdentityEngine } from '../../src/identity/types.js';
import { cosine } from '../../src/identity/vectors.js';
import { World, face } from './synthetic.js';

const solo = (f: FaceObservation): PhotoInput => ({ width: 600, height: 400, faces: [f] });
const group = (...faces: FaceObservation[]): PhotoInput => ({
  width: 300 * faces.length,
  height: 400,
  faces: faces.map((f, i) => ({ ...f, box: [i * 300 + 50, 100, 200, 220] as Box })),
});
const urls = (n: number) => Array.from({ length: n }, (_, i) => `https://example.test/${i}.jpg`);

test('the person who appears most often becomes the profile; group photos count, strangers are "someone else"', () => {
  const w = new World(11);
  const inputs: PhotoInput[] = [
    ...Array.from({ length: 6 }, () => solo(face(w.embed('ann')))),
    solo(face(w.embed('bob'))),
    solo(face(w.embed('cid'))),
    group(face(w.embed('bob')), face(w.embed('ann')), face(w.embed('cid'))),
    solo(face(w.embed('dee'))),
    group(face(w.embed('eve')), face(w.embed('ann'))),
    solo(face(w.embed('bob'))),
  ];
  const d = decideProfile(urls(inputs.length), inputs, 'standard');
  assert.ok(d.ok, !d.ok ? d.message : '');
  const annPhotos = [0, 1, 2, 3, 4, 5, 8, 10];
  assert.deepEqual(
    d.reports.map((r, i) => [i, r.accepted]),
    inputs.map((_, i) => [i, annPhotos.includes(i)]),
  );
  for (const i of [6, 7, 9, 11]) assert.deepEqual(d.reports[i].reasons, [REASONS.someoneElse]);
  assert.equal(d.reports[3].url, 'https://example.test/3.jpg');

  const m = d.model;
  assert.equal(m.embeddings.length, annPhotos.length);
  assert.ok(cosine(m.centroid, w.embed('ann', 0)) > 0.99);
  assert.ok(cosine(m.centroid, w.embed('bob', 0)) < 0.95);
  assert.equal(m.threshold, centroidThreshold(annPhotos.length));
  assert.equal(m.referencePhotos.length, MAX_REFERENCE_PHOTOS);
  assert.equal(new Set(m.referencePhotos).size, m.referencePhotos.length);
  for (const p of m.referencePhotos) assert.ok(annPhotos.includes(p));
  assert.ok(annPhotos.includes(m.picture.photo));
  assert.equal(m.picture.photo, m.referencePhotos[0]);
});

test('the profile picture and first reference come from the sharpest, most frontal photo', () => {
  const w = new World(12);
  const inputs = Array.from({ length: 10 }, (_, i) =>
    solo(face(w.embed('ann'), { sharpness: i === 4 ? 900 : 80, pose: { yaw: i === 4 ? 0 : 20, pitch: 5, roll: 0 }, box: [10 * i, 10, 200, 200] })),
  );
  const d = decideProfile(urls(10), inputs, 'standard');
  assert.ok(d.ok);
  assert.equal(d.model.picture.photo, 4);
  assert.deepEqual(d.model.picture.box, [40, 10, 200, 200]);
  assert.equal(d.model.referencePhotos[0], 4);
});

test('references favour diverse head poses over near-duplicates', () => {
  const w = new World(13);
  // Photos 0-5 frontal and equally good; 6 is turned 30° but slightly less sharp.
  const inputs = Array.from({ length: 7 }, (_, i) =>
    solo(face(w.embed('ann'), { sharpness: i === 6 ? 250 : 300, pose: { yaw: i === 6 ? 30 : 0, pitch: 0, roll: 0 } })),
  );
  const d = decideProfile(urls(7), inputs, 'fast');
  assert.ok(d.ok);
  assert.equal(d.model.referencePhotos[1], 6);
});

test('a rejected photo of the subject says what is wrong with it, not "someone else"', () => {
  const w = new World(14);
  const inputs: PhotoInput[] = [
    ...Array.from({ length: 6 }, () => solo(face(w.embed('ann')))),
    solo(face(w.embed('ann'), { blur: 4 })), // blurry subject
    solo(face(w.embed('bob'), { brightness: 10 })), // dark stranger: its own problem is reported
    { width: 500, height: 500, faces: [] },
    { failed: 'fetch', detail: 'HTTP 404' },
    { failed: 'decode' },
    group(face(w.embed('ann'), { pose: { yaw: 80, pitch: 0, roll: 0 } }), face(w.embed('bob'))),
  ];
  const d = decideProfile(urls(inputs.length), inputs, 'standard');
  assert.ok(d.ok);
  assert.deepEqual(
    d.reports.slice(6).map((r) => r.reasons),
    [[REASONS.blurry], [REASONS.tooDark], [REASONS.noFace], [REASONS.fetch], [REASONS.decode], [REASONS.pose]],
  );
  assert.equal(d.model.embeddings.length, 6);
});

test('a blurred subject next to a sharp stranger is reported as blurry; a sharp stranger as main face is "someone else"', () => {
  const w = new World(17);
  const blurredAnn = face(w.embed('ann', 1.2), { blur: 4 }); // blur also makes the embedding drift
  const inputs: PhotoInput[] = [
    ...Array.from({ length: 6 }, () => solo(face(w.embed('ann')))),
    { width: 800, height: 400, faces: [{ ...blurredAnn, box: [300, 100, 200, 200] }, face(w.embed('bob'), { box: [0, 0, 90, 90] })] },
    { width: 800, height: 400, faces: [face(w.embed('cid'), { box: [300, 100, 200, 200] }), face(w.embed('dee'), { box: [0, 0, 30, 30] })] },
  ];
  const d = decideProfile(urls(inputs.length), inputs, 'standard');
  assert.ok(d.ok);
  assert.deepEqual(d.reports[6].reasons, [REASONS.blurry]);
  assert.deepEqual(d.reports[7].reasons, [REASONS.someoneElse]);
});

test('too few usable photos: ERROR naming the photos to replace and why', () => {
  const w = new World(15);
  const inputs: PhotoInput[] = [
    ...Array.from({ length: 4 }, () => solo(face(w.embed('ann')))),
    ...Array.from({ length: 4 }, () => solo(face(w.embed('ann'), { blur: 4 }))),
    solo(face(w.embed('bob'))),
    { failed: 'fetch' },
  ];
  const d = decideProfile(urls(inputs.length), inputs, 'standard');
  assert.equal(d.ok, false);
  if (d.ok) return;
  assert.match(d.message, /Only 4 of 10 photos/);
  assert.match(d.message, new RegExp(`at least ${MIN_ACCEPTED.standard}`));
  assert.match(d.message, /#5 \(blurry\)/);
  assert.match(d.message, /#9 \(someone else\)/);
  assert.match(d.message, /#10 \(could not be fetched\)/);
  assert.doesNotMatch(d.message, /#1 /);
  assert.equal(d.reports.filter((r) => r.accepted).length, 4);

  // The same four good photos are enough for the fast tier.
  const fast = decideProfile(urls(5), [...inputs.slice(0, 4), inputs[8]], 'fast');
  assert.ok(fast.ok);
});

test('no usable face at all: ERROR', () => {
  const inputs: PhotoInput[] = Array.from({ length: 5 }, () => ({ width: 100, height: 100, faces: [] }));
  const d = decideProfile(urls(5), inputs, 'fast');
  assert.equal(d.ok, false);
  if (!d.ok) assert.match(d.message, /No photo has a face/);
});

test('two people appearing equally often: ERROR, no profile of either', () => {
  const w = new World(16);
  const inputs: PhotoInput[] = [
    ...Array.from({ length: 5 }, () => solo(face(w.embed('ann')))),
    ...Array.from({ length: 5 }, () => solo(face(w.embed('bob')))),
  ];
  const d = decideProfile(urls(10), inputs, 'standard');
  assert.equal(d.ok, false);
  if (!d.ok) assert.match(d.message, /No single person appears most often/);
  assert.ok(d.reports.every((r) => !r.accepted && r.reasons[0] === REASONS.ambiguous));
});

test('the caller\'s error text tells fetch, decode and size failures apart', () => {
  assert.equal(failureKind('image_urls[2]: HTTP 404 from host'), 'fetch');
  assert.equal(failureKind('timed out after 20 s'), 'fetch');
  assert.equal(failureKind('image_urls[1]: image could not be decoded: unsupported image format'), 'decode');
  assert.equal(failureKind('IMAGE_UNREADABLE'), 'decode');
  assert.equal(failureKind('image_urls[0]: the image is larger than the 25 MB limit'), 'tooLarge');
});

test('urls and inputs must line up', () => {
  assert.throws(() => decideProfile(urls(2), [], 'fast'), RangeError);
});

// ---------------------------------------------------------------------------------------------
// Real engine on test/fixtures/photos.

const FIXTURES = new URL('../../../test/fixtures/photos/', import.meta.url);
const fixture = (name: string): TrainingPhoto => ({ url: `https://photos.test/${name}`, image: readFileSync(new URL(name, FIXTURES)) });

let engine: IdentityEngine;
before(async () => {
  engine = await createIdentityEngine({ workers: 1 });
});
after(async () => {
  await engine?.close();
});

test('real photos: training among other people and a group collage learns the right person', async () => {
  const photos: TrainingPhoto[] = [
    fixture('caltech_p13_0180.jpg'),
    fixture('caltech_p06_0090.jpg'),
    fixture('caltech_p06_0092.jpg'),
    fixture('caltech_p21_0330.jpg'),
    fixture('caltech_p06_0094.jpg'),
    fixture('group_caltech_p06_p13_p21.jpg'), // p06 (image_0095) on the left
    fixture('caltech_p06_0097.jpg'),
    fixture('caltech_p02_0030.jpg'),
    fixture('caltech_p06_0100_blur_sigma8.jpg'),
    fixture('caltech_p06_0099.jpg'),
    fixture('coffee.png'),
    { url: 'https://photos.test/missing.jpg', error: 'HTTP 404' },
    { url: 'https://photos.test/garbage.jpg', image: Buffer.from('this is not an image') },
  ];
  const progress: number[] = [];
  const out = await trainProfile(engine, photos, 'standard', (p) => progress.push(p));
  assert.ok(out.ok, out.ok ? '' : out.message);
  const verdict = out.reports.map((r) => [r.url.split('/').pop(), r.accepted, r.reasons.join(', ')]);
  assert.deepEqual(verdict, [
    ['caltech_p13_0180.jpg', false, REASONS.someoneElse],
    ['caltech_p06_0090.jpg', true, ''],
    ['caltech_p06_0092.jpg', true, ''],
    ['caltech_p21_0330.jpg', false, REASONS.someoneElse],
    ['caltech_p06_0094.jpg', true, ''],
    ['group_caltech_p06_p13_p21.jpg', true, ''],
    ['caltech_p06_0097.jpg', true, ''],
    ['caltech_p02_0030.jpg', false, REASONS.someoneElse],
    ['caltech_p06_0100_blur_sigma8.jpg', false, REASONS.blurry],
    ['caltech_p06_0099.jpg', true, ''],
    ['coffee.png', false, REASONS.noFace],
    ['missing.jpg', false, REASONS.fetch],
    ['garbage.jpg', false, REASONS.decode],
  ]);
  const m = out.model;
  assert.equal(m.embeddings.length, 6);
  assert.equal(m.centroid.length, 128);
  assert.equal(m.threshold, centroidThreshold(6));
  // The group photo is accepted, but the face used from it is p06's (leftmost third).
  const group = await engine.analyze(photos[5].image!);
  const used = group.faces.find((f) => m.embeddings.some((e) => cosine(e, f.embedding) > 0.9999));
  assert.ok(used && used.box[0] + used.box[2] / 2 < group.width / 3, 'group face taken from p06');
  for (const p of m.referencePhotos) assert.ok(out.reports[p].accepted);
  assert.ok(m.referencePhotos.length >= 1 && m.referencePhotos.length <= MAX_REFERENCE_PHOTOS);
  assert.ok(out.reports[m.picture.photo].accepted);

  // Progress rises to 1.
  assert.equal(progress.at(-1), 1);
  for (let i = 1; i < progress.length; i++) assert.ok(progress[i] >= progress[i - 1]);

  // The profile picture is a square JPEG that shows the subject.
  const meta = await sharp(out.picture).metadata();
  assert.equal(meta.format, 'jpeg');
  assert.equal(meta.width, meta.height);
  const pic = await engine.analyze(out.picture);
  assert.equal(pic.faces.length, 1);
  assert.ok(cosine(pic.faces[0].embedding, m.centroid) >= m.threshold - 0.02, 'picture shows the subject');
});

test('real photos: too few photos of anyone ends in an explained refusal', async () => {
  const out = await trainProfile(
    engine,
    ['caltech_p06_0090.jpg', 'caltech_p13_0180.jpg', 'caltech_p21_0330.jpg', 'caltech_p02_0030.jpg', 'caltech_p06_0100_blur_sigma8.jpg'].map(fixture),
    'fast',
  );
  assert.equal(out.ok, false);
  if (out.ok) return;
  assert.match(out.message, /need[s]? at least 4/);
  assert.match(out.message, /#5 \(blurry\)/);
});
