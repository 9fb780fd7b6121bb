// The real pet pipeline (CenterNet + nsfwjs MobileNetV2 + the shipped head, tfjs wasm) on
// committed photos: in-process for the vision functions, and once through the worker pool.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { analyzePets, detectAnimals, detectPets, embedAnimal } from '../../../src/identity/pets/vision.js';
import { CENTERNET_INPUT, SUBJECT_DETECTOR_INPUT, centernetSizeConstants } from '../../../src/identity/pets/models.js';
import { decodeForAnalysis } from '../../../src/identity/runtime.js';
import { similarity } from '../../../src/identity/pets/thresholds.js';
import { ApiError } from '../../../src/errors.js';
import { WorkerPool, transferableCopy } from '../../../src/identity/pool.js';
import { WORKER_URL } from '../../../src/identity/engine.js';
import type { PetAnalysis } from '../../../src/identity/pets/types.js';
import { loadHeads } from '../../../src/identity/pets/head.js';

const photo = (name: string) => readFile(new URL(`../../../../test/fixtures/photos/${name}`, import.meta.url));
const unit = (v: ArrayLike<number>) => Math.abs(Math.hypot(...Array.from(v)) - 1) < 1e-3;

let pool: WorkerPool | undefined;
after(async () => {
  await pool?.close();
});

test('finds the cat in chelsea.png, and only a cat', async () => {
  const r = await analyzePets(await photo('chelsea.png'));
  assert.equal(r.width, 451);
  assert.equal(r.height, 300);
  const cats = r.animals.filter((a) => a.kind === 'cat');
  assert.ok(cats.length >= 1, `animals: ${JSON.stringify(r.animals.map((a) => [a.kind, a.score]))}`);
  assert.equal(r.animals.filter((a) => a.kind === 'dog').length, 0);
  const [x, y, w, h] = cats[0].box;
  // Chelsea fills most of the frame.
  assert.ok(w > 250 && h > 200 && x >= 0 && y >= 0 && x + w <= 451 && y + h <= 300, `box ${cats[0].box}`);
  assert.ok(cats[0].embedding.length > 0 && unit(cats[0].embedding), 'embedding is unit length');
  assert.equal(cats[0].embedder, loadHeads().ids.cat, 'says which head embedded it');
  assert.ok(cats[0].sharpness > 0 && cats[0].brightness > 0);
});

test('finds a dog in each committed dog crop', async () => {
  for (const f of ['dogfacenet_1001_0.jpg', 'dogfacenet_1002_1.jpg', 'dogfacenet_1006_0.jpg']) {
    const { animals } = await detectAnimals(await decodeForAnalysis(await photo(f), 1024));
    assert.ok(animals.some((a) => a.kind === 'dog'), `${f}: ${JSON.stringify(animals)}`);
  }
});

test('the fast detector (CenterNet rewritten for a smaller input): the same species as at 512, boxes close, no pets on people', async () => {
  assert.ok(SUBJECT_DETECTOR_INPUT < CENTERNET_INPUT);
  // The constants that encode the input side: the stride-4 map (side, area) and the head's upsampling targets.
  assert.deepEqual(centernetSizeConstants(512)['tower_0/BatchGather/concat'], [16384, 4]);
  assert.deepEqual(centernetSizeConstants(320)['tower_0/strided_slice_6'], [80]);
  assert.throws(() => centernetSizeConstants(300), RangeError);
  const cat = await detectPets(await photo('chelsea.png'));
  const full = await analyzePets(await photo('chelsea.png'));
  assert.deepEqual([cat.width, cat.height], [451, 300]);
  assert.deepEqual(new Set(cat.animals.map((a) => a.kind)), new Set(['cat']));
  const [a, b] = [cat.animals[0].box, full.animals[0].box];
  assert.ok(a.every((v, i) => Math.abs(v - b[i]) < 40), `fast ${a} vs 512 ${b}`);
  assert.ok(!('embedding' in cat.animals[0]), 'boxes only');
  for (const f of ['dogfacenet_1001_0.jpg', 'dogfacenet_1002_1.jpg', 'dogfacenet_1006_0.jpg']) {
    const { animals } = await detectPets(await photo(f));
    assert.ok(animals.some((x) => x.kind === 'dog'), `${f}: ${JSON.stringify(animals)}`);
  }
  const person = await detectPets(await photo('caltech_p06_0100.jpg'));
  assert.equal(person.animals.length, 0, JSON.stringify(person.animals));
  assert.ok(person.persons.length >= 1, 'person found');
});

test('no cat or dog on a person or a cup of coffee; the person is reported', async () => {
  const person = await analyzePets(await photo('caltech_p06_0100.jpg'));
  assert.equal(person.animals.length, 0, JSON.stringify(person.animals));
  assert.ok(person.persons.length >= 1, 'person found');
  const coffee = await analyzePets(await photo('coffee.png'));
  assert.equal(coffee.animals.length, 0, JSON.stringify(coffee.animals));
});

test('photos of the same dog are closer than photos of different dogs', async () => {
  const dogs = { a: ['dogfacenet_1001_0.jpg', 'dogfacenet_1001_1.jpg'], b: ['dogfacenet_1002_1.jpg', 'dogfacenet_1002_2.jpg'], c: ['dogfacenet_1006_0.jpg', 'dogfacenet_1006_1.jpg'] };
  const emb: Record<string, Float32Array[]> = {};
  for (const [id, files] of Object.entries(dogs)) {
    emb[id] = [];
    for (const f of files) {
      const img = await decodeForAnalysis(await photo(f), 1024);
      emb[id].push(await embedAnimal(img, [0, 0, img.originalWidth, img.originalHeight], 'dog'));
    }
  }
  const ids = Object.keys(emb);
  for (const id of ids) {
    const same = similarity(emb[id][0], emb[id][1]);
    for (const other of ids.filter((o) => o !== id)) {
      for (const e of emb[other]) {
        assert.ok(same > similarity(emb[id][0], e), `${id} same ${same.toFixed(3)} vs ${other} ${similarity(emb[id][0], e).toFixed(3)}`);
      }
    }
  }
});

test('undecodable bytes are a 400 IMAGE_UNREADABLE, not a crash', async () => {
  await assert.rejects(analyzePets(Buffer.from('not an image')), (e: unknown) => e instanceof ApiError && e.code === 'IMAGE_UNREADABLE');
});

test('runs in the identity worker pool as pets.analyze, with the trained heads loaded', async () => {
  pool = new WorkerPool(WORKER_URL, { size: 1, name: 'pets-test' });
  const ab = transferableCopy(await photo('chelsea.png'));
  const r = await pool.run<PetAnalysis>('pets.analyze', { image: new Uint8Array(ab) }, [ab]);
  assert.ok(r.animals.some((a) => a.kind === 'cat'));
  const info = await pool.run<{ trained: Record<string, boolean> }>('pets.info', null);
  assert.equal(typeof info.trained.dog, 'boolean');
});
