// Adversarial review of the identity engine and training: copies of one photo in a training
// set, degenerate images, many faces, faces at the edge, every EXIF orientation.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { createIdentityEngine, type IdentityRuntime } from '../../src/identity/engine.js';
import { REASONS } from '../../src/identity/screen.js';
import { decideProfile, findDuplicates, trainProfile, type PhotoInput, type TrainingPhoto } from '../../src/identity/train.js';
import type { FaceObservation } from '../../src/identity/types.js';
import { cosine } from '../../src/identity/vectors.js';
import { World, face } from './synthetic.js';

const solo = (f: FaceObservation): PhotoInput => ({ width: 600, height: 400, faces: [f] });
const urls = (n: number) => Array.from({ length: n }, (_, i) => `https://example.test/${i}.jpg`);

test('the same photo sent five times is one photo: standard training refuses instead of building a profile from it', () => {
  const w = new World(21);
  const one = solo(face(w.embed('ann')));
  const inputs = Array.from({ length: 5 }, () => structuredClone(one));
  assert.deepEqual(findDuplicates(inputs), [-1, 0, 0, 0, 0]);
  const d = decideProfile(urls(5), inputs, 'standard');
  assert.equal(d.ok, false);
  assert.deepEqual(d.reports[0], { url: urls(5)[0], accepted: true, reasons: [] });
  for (const r of d.reports.slice(1)) assert.deepEqual(r.reasons, [REASONS.duplicate]);
  if (!d.ok) assert.match(d.message, /Only 1 of 5 photos.*#2 \(same photo as another in the set\)/);
});

test('a stranger\'s photo uploaded many times does not outvote the subject\'s distinct photos', () => {
  const w = new World(22);
  const stranger = solo(face(w.embed('bob')));
  const inputs: PhotoInput[] = [
    ...Array.from({ length: 6 }, () => solo(face(w.embed('ann')))),
    ...Array.from({ length: 7 }, () => structuredClone(stranger)),
  ];
  const d = decideProfile(urls(inputs.length), inputs, 'standard');
  assert.ok(d.ok, d.ok ? '' : d.message);
  assert.ok(cosine(d.model.centroid, w.embed('ann', 0)) > 0.99, 'the profile is ann');
  assert.equal(d.model.embeddings.length, 6);
  assert.deepEqual(d.reports[6].reasons, [REASONS.someoneElse]);
  for (const r of d.reports.slice(7)) assert.deepEqual(r.reasons, [REASONS.duplicate]);
});

test('one photo sent twice among distinct photos: the copy is reported, the rest train as before', () => {
  const w = new World(23);
  const inputs = Array.from({ length: 6 }, () => solo(face(w.embed('ann'))));
  inputs.splice(3, 0, structuredClone(inputs[1]));
  const d = decideProfile(urls(inputs.length), inputs, 'standard');
  assert.ok(d.ok);
  assert.equal(d.model.embeddings.length, 6);
  assert.deepEqual(d.reports.map((r) => r.accepted), [true, true, true, false, true, true, true]);
  assert.deepEqual(d.reports[3].reasons, [REASONS.duplicate]);
  // Distinct photos of one person (≈0.99 by construction) are never taken for copies, nor are
  // group photos that share one face with a solo photo.
  const group: PhotoInput = { width: 900, height: 400, faces: [structuredClone((inputs[0] as { faces: FaceObservation[] }).faces[0]), face(w.embed('bob'))] };
  assert.deepEqual(findDuplicates([...inputs, group]), [-1, -1, -1, 1, -1, -1, -1, -1]);
});

// ---------------------------------------------------------------------------------------------
// Real engine.

const FIXTURES = new URL('../../../test/fixtures/photos/', import.meta.url);
const photo = (name: string) => readFileSync(new URL(name, FIXTURES));

let engine: IdentityRuntime;
before(async () => {
  engine = await createIdentityEngine({ workers: 1 });
});
after(async () => {
  await engine?.close();
});

test('real photos: one photo as JPEG four times and once as PNG does not make a fast profile', async () => {
  const jpg = photo('caltech_p06_0100.jpg');
  const png = await sharp(jpg).png().toBuffer();
  const photos: TrainingPhoto[] = [jpg, jpg, jpg, jpg, png].map((image, i) => ({ url: `https://photos.test/${i}`, image }));
  const out = await trainProfile(engine, photos, 'fast');
  assert.equal(out.ok, false);
  assert.deepEqual(out.reports.map((r) => r.reasons.join()), ['', ...Array(4).fill(REASONS.duplicate)]);
});

test('degenerate images: no crash, no face, sizes reported, no tensors left behind', async () => {
  // Count from a warm worker: the pet models load on the first full analysis (their weights are tensors too).
  await engine.analyze(photo('caltech_p06_0100.jpg'));
  const { numTensors } = await engine.pool.run<{ numTensors: number }>('identity.stats', null);
  const mk = (w: number, h: number, bg: string) => sharp({ create: { width: w, height: h, channels: 3, background: bg } });
  const cases: Array<[number, number, Buffer]> = [
    [1, 1, await mk(1, 1, '#808080').png().toBuffer()],
    [16, 16, await sharp(photo('caltech_p06_0100.jpg')).resize(16, 16).png().toBuffer()],
    [4000, 50, await mk(4000, 50, '#808080').jpeg().toBuffer()],
    [3, 4096, await mk(3, 4096, '#808080').png().toBuffer()],
    [300, 300, await mk(300, 300, '#000000').jpeg().toBuffer()],
    [300, 300, await mk(300, 300, '#ffffff').jpeg().toBuffer()],
  ];
  for (const [w, h, buf] of cases) {
    const a = await engine.analyze(buf);
    assert.deepEqual([a.width, a.height, a.faces.length], [w, h, 0], `${w}x${h}`);
  }
  assert.equal((await engine.pool.run<{ numTensors: number }>('identity.stats', null)).numTensors, numTensors);
});

test('grey, grey+alpha, palette and CMYK copies of a photo embed as the same person, box unchanged', async () => {
  const src = photo('caltech_p06_0100.jpg');
  const base = (await engine.analyze(src)).faces;
  assert.equal(base.length, 1);
  const variants = {
    grey: await sharp(src).toColourspace('b-w').jpeg().toBuffer(),
    greyAlpha: await sharp(src).toColourspace('b-w').ensureAlpha(0.5).png().toBuffer(),
    palette: await sharp(src).png({ palette: true }).toBuffer(),
    cmyk: await sharp(src).toColourspace('cmyk').jpeg().toBuffer(),
  };
  for (const [name, buf] of Object.entries(variants)) {
    const faces = (await engine.analyze(buf)).faces;
    assert.equal(faces.length, 1, name);
    assert.ok(cosine(faces[0].embedding, base[0].embedding) > 0.98, name);
    faces[0].box.forEach((v, i) => assert.ok(Math.abs(v - base[0].box[i]) <= 4, `${name} box ${faces[0].box} vs ${base[0].box}`));
  }
});

test('EXIF orientations 1–8: boxes are in the displayed (oriented) frame', async () => {
  const src = photo('caltech_p06_0100.jpg');
  const raw = await sharp(src).raw().toBuffer({ resolveWithObject: true });
  const base = (await engine.analyze(src)).faces[0].box;
  // The stored pixels each orientation tag undoes, so every file displays upright.
  const store: Record<number, (s: sharp.Sharp) => sharp.Sharp> = {
    1: (s) => s, 2: (s) => s.flop(), 3: (s) => s.rotate(180), 4: (s) => s.flip(),
    5: (s) => s.rotate(90).flip(), 6: (s) => s.rotate(270), 7: (s) => s.rotate(270).flip(), 8: (s) => s.rotate(90),
  };
  for (let o = 1; o <= 8; o++) {
    const stored = await store[o](sharp(raw.data, { raw: raw.info })).raw().toBuffer({ resolveWithObject: true });
    const jpg = await sharp(stored.data, { raw: stored.info }).withMetadata({ orientation: o }).jpeg({ quality: 95 }).toBuffer();
    const a = await engine.analyze(jpg);
    assert.deepEqual([a.width, a.height], [raw.info.width, raw.info.height], `orientation ${o}`);
    assert.equal(a.faces.length, 1, `orientation ${o}`);
    a.faces[0].box.forEach((v, i) => assert.ok(Math.abs(v - base[i]) <= 4, `orientation ${o}: ${a.faces[0].box} vs ${base}`));
  }
});

test('a 6×6 collage: 36 faces, one per cell, boxes inside the image; a face cut by the frame edge is still found', async () => {
  const names = ['caltech_p06_0090.jpg', 'caltech_p06_0091.jpg', 'caltech_p13_0174.jpg', 'caltech_p13_0175.jpg', 'caltech_p21_0330.jpg', 'london_001_neutral.jpg'];
  const tiles = await Promise.all(names.map((n) => sharp(photo(n)).resize(300, 300, { fit: 'cover' }).toBuffer()));
  const composite = [];
  for (let r = 0; r < 6; r++) for (let c = 0; c < 6; c++) composite.push({ input: tiles[(r + c) % 6], left: c * 300, top: r * 300 });
  const collage = await sharp({ create: { width: 1800, height: 1800, channels: 3, background: '#000' } }).composite(composite).jpeg().toBuffer();
  const a = await engine.analyze(collage);
  assert.equal(a.faces.length, 36);
  const cells = new Set(a.faces.map(({ box: [x, y, w, h] }) => {
    assert.ok(x >= 0 && y >= 0 && x + w <= 1800 && y + h <= 1800);
    return `${Math.floor((y + h / 2) / 300)},${Math.floor((x + w / 2) / 300)}`;
  }));
  assert.equal(cells.size, 36);

  const src = photo('caltech_p06_0100.jpg');
  const m = await sharp(src).metadata();
  const left = Math.round(m.width! * 0.45);
  const edge = await sharp(src).extract({ left, top: 0, width: m.width! - left, height: m.height! }).jpeg().toBuffer();
  const e = await engine.analyze(edge);
  assert.equal(e.faces.length, 1);
  const [x, , w] = e.faces[0].box;
  assert.ok(x >= 0 && x < 10 && x + w <= m.width! - left, `${e.faces[0].box}`);
});
