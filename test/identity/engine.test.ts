// The real hybrid engine (Human + face-api on tfjs wasm) in a worker pool, on real photos.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { createIdentityEngine, type IdentityRuntime } from '../../src/identity/engine.js';
import { ApiError } from '../../src/errors.js';
import type { FaceObservation } from '../../src/identity/types.js';

const photo = (name: string) => readFile(new URL(`../../../test/fixtures/photos/${name}`, import.meta.url));
const cos = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i], 0);

let engine: IdentityRuntime;
const cache = new Map<string, FaceObservation[]>();
async function faces(name: string): Promise<FaceObservation[]> {
  if (!cache.has(name)) cache.set(name, (await engine.analyze(await photo(name))).faces);
  return cache.get(name)!;
}
async function oneFace(name: string): Promise<FaceObservation> {
  const f = await faces(name);
  assert.equal(f.length, 1, `${name}: expected one face, got ${f.length}`);
  return f[0];
}

before(async () => {
  engine = await createIdentityEngine({ workers: 1 });
});
after(async () => {
  await engine?.close();
});

test('fills every field of a face observation', async () => {
  const f = await oneFace('caltech_p06_0100.jpg');
  const [x, y, w, h] = f.box;
  // The face is roughly in the middle of this 623x412 photo, ~160-200 px wide.
  assert.ok(x > 200 && x < 340 && y > 80 && y < 220, `box ${f.box}`);
  assert.ok(w > 120 && w < 260 && h > 120 && h < 280, `box ${f.box}`);
  assert.equal(f.embedding.length, 128);
  assert.ok(Math.abs(Math.hypot(...f.embedding) - 1) < 1e-3, 'embedding is unit length');
  assert.ok(f.score > 0.5 && f.score <= 1);
  assert.ok(Math.abs(f.pose.yaw) < 20 && Math.abs(f.pose.roll) < 20 && Math.abs(f.pose.pitch) < 30, JSON.stringify(f.pose));
  assert.ok(f.sharpness > 0);
  assert.ok(f.brightness > 60 && f.brightness < 220);
  assert.ok(f.clipped >= 0 && f.clipped < 0.1);
  assert.ok(f.real !== null && f.real >= 0 && f.real <= 1);
  assert.ok(f.visibility !== null && f.visibility > 0.5 && f.visibility <= 1);
});

test('two photos of one person are more similar than photos of different people', async () => {
  const a = (await oneFace('caltech_p06_0100.jpg')).embedding;
  const same = [await oneFace('caltech_p06_0095.jpg'), await oneFace('caltech_p06_0105.jpg')].map((f) => cos(a, f.embedding));
  const others = [];
  for (const n of ['caltech_p13_0180.jpg', 'caltech_p21_0330.jpg', 'caltech_p02_0030.jpg', 'london_001_neutral.jpg']) {
    others.push(cos(a, (await oneFace(n)).embedding));
  }
  assert.ok(Math.min(...same) > Math.max(...others), `same ${same} vs different ${others}`);

  const l1 = (await oneFace('london_001_neutral.jpg')).embedding;
  const l1s = (await oneFace('london_001_smiling.jpg')).embedding;
  const l2 = (await oneFace('london_002_neutral.jpg')).embedding;
  assert.ok(cos(l1, l1s) > cos(l1, l2), `${cos(l1, l1s)} vs ${cos(l1, l2)}`);
});

test('finds every face of a group collage, with the right identity at each position', async () => {
  const group = (await faces('group_caltech_p06_p13_p21.jpg')).slice().sort((p, q) => p.box[0] - q.box[0]);
  assert.equal(group.length, 3);
  const singles = ['caltech_p06_0095.jpg', 'caltech_p13_0180.jpg', 'caltech_p21_0330.jpg'];
  for (let i = 0; i < 3; i++) {
    const ref = (await oneFace(singles[i])).embedding;
    const sims = group.map((g) => cos(ref, g.embedding));
    assert.equal(sims.indexOf(Math.max(...sims)), i, `${singles[i]}: ${sims}`);
  }
  // Boxes are in pixels of the 1500x330 collage: one per third.
  group.forEach((g, i) => assert.ok(g.box[0] >= i * 500 && g.box[0] + g.box[2] <= (i + 1) * 500, `${g.box}`));
});

test('a photo without a person has no face', async () => {
  assert.deepEqual(await faces('coffee.png'), []);
});

test('blur lowers sharpness even though the face is still detected', async () => {
  const ref = await oneFace('caltech_p06_0100.jpg');
  const b3 = await oneFace('caltech_p06_0100_blur_sigma3.jpg');
  const b8 = await oneFace('caltech_p06_0100_blur_sigma8.jpg');
  assert.ok(b3.sharpness < ref.sharpness / 4, `${b3.sharpness} vs ${ref.sharpness}`);
  assert.ok(b8.sharpness < b3.sharpness, `${b8.sharpness} vs ${b3.sharpness}`);
  // Similar lighting: brightness barely moves.
  assert.ok(Math.abs(b3.brightness - ref.brightness) < 10);
});

test('darkening lowers brightness', async () => {
  const src = await photo('caltech_p06_0100.jpg');
  const dark = await sharp(src).linear(0.3, 0).jpeg().toBuffer();
  const [f] = (await engine.analyze(dark)).faces;
  const ref = await oneFace('caltech_p06_0100.jpg');
  assert.ok(f, 'face still found');
  assert.ok(f.brightness < ref.brightness * 0.45, `${f.brightness} vs ${ref.brightness}`);
});

test('applies EXIF orientation and reports boxes in the oriented image', async () => {
  const src = await photo('caltech_p06_0100.jpg');
  // Store the pixels rotated 90° counter-clockwise with orientation 6 ("rotate 90° CW to view").
  const stored = await sharp(src).rotate(-90).withMetadata({ orientation: 6 }).jpeg({ quality: 95 }).toBuffer();
  const r = await engine.analyze(stored);
  assert.equal(r.width, 623);
  assert.equal(r.height, 412);
  assert.equal(r.faces.length, 1);
  const ref = await oneFace('caltech_p06_0100.jpg');
  r.faces[0].box.forEach((v, i) => assert.ok(Math.abs(v - ref.box[i]) <= 8, `${r.faces[0].box} vs ${ref.box}`));
  assert.ok(cos(r.faces[0].embedding, ref.embedding) > 0.95);
});

test('downscales large images for analysis but reports original pixels', async () => {
  const src = await photo('caltech_p06_0100.jpg');
  const big = await sharp(src).resize(623 * 4).jpeg({ quality: 92 }).toBuffer(); // 2492x1648
  const r = await engine.analyze(big);
  assert.equal(r.width, 2492);
  assert.equal(r.faces.length, 1);
  const ref = await oneFace('caltech_p06_0100.jpg');
  r.faces[0].box.forEach((v, i) => assert.ok(Math.abs(v / 4 - ref.box[i]) <= 6, `${r.faces[0].box} vs 4x ${ref.box}`));
  assert.ok(cos(r.faces[0].embedding, ref.embedding) > 0.95);
});

test('undecodable input is IMAGE_UNREADABLE', async () => {
  await assert.rejects(engine.analyze(Buffer.from('definitely not an image')), (e: unknown) => {
    assert.ok(e instanceof ApiError);
    assert.equal(e.code, 'IMAGE_UNREADABLE');
    assert.equal(e.status, 400);
    return true;
  });
});

test('crops a square profile picture around a face', async () => {
  const src = await photo('caltech_p06_0100.jpg');
  const f = await oneFace('caltech_p06_0100.jpg');
  const jpeg = await engine.cropFace(src, f.box, { size: 256 });
  const meta = await sharp(jpeg).metadata();
  assert.equal(meta.format, 'jpeg');
  assert.equal(meta.width, meta.height);
  assert.ok(meta.width! <= 256 && meta.width! > 100);
  // The crop still holds the same person, one face.
  const [again] = (await engine.analyze(jpeg)).faces;
  assert.ok(again && cos(again.embedding, f.embedding) > 0.9);
});

test('inference leaves no tensors behind', async () => {
  const before = await engine.pool.run<{ numTensors: number }>('identity.stats', null);
  await engine.analyze(await photo('group_caltech_p06_p13_p21.jpg'));
  const afterStats = await engine.pool.run<{ numTensors: number; backend: string }>('identity.stats', null);
  assert.equal(afterStats.numTensors, before.numTensors);
  assert.equal(afterStats.backend, 'wasm');
});
