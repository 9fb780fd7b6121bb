import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { createIdentityEngine } from '../../src/identity/engine.js';
import { assignFaces, recognize, similarityToProfile, type Candidate } from '../../src/identity/recognize.js';
import { trainProfile } from '../../src/identity/train.js';
import { centroidThreshold } from '../../src/identity/thresholds.js';
import type { IdentityEngine, ProfileModel } from '../../src/identity/types.js';
import { centroid, cosine } from '../../src/identity/vectors.js';
import { World, face } from './synthetic.js';

function model(embeddings: number[][]): ProfileModel {
  return {
    version: 1,
    embeddings,
    centroid: centroid(embeddings),
    threshold: centroidThreshold(embeddings.length),
    referencePhotos: [0],
    picture: { photo: 0, box: [0, 0, 1, 1] },
  };
}

test('similarity to a profile is the cosine to its centroid, negatives clamped to 0', () => {
  const m = model([
    [1, 0],
    [0.8, 0.6],
  ]);
  assert.ok(Math.abs(similarityToProfile([1, 0], m) - cosine([1, 0], m.centroid)) < 1e-12);
  assert.equal(similarityToProfile([-1, 0], m), 0);
});

test('faces in a group photo are each matched to their own profile; a stranger stays unknown', () => {
  const w = new World(21);
  const candidates: Candidate[] = [
    { profileId: 'ann', model: model(Array.from({ length: 8 }, () => w.embed('ann'))) },
    { profileId: 'bob', model: model(Array.from({ length: 8 }, () => w.embed('bob'))) },
  ];
  const faces = [face(w.embed('bob'), { box: [0, 0, 100, 100] }), face(w.embed('zed'), { box: [100, 0, 100, 100] }), face(w.embed('ann'), { box: [200, 0, 100, 100] })];
  const r = assignFaces(faces, candidates);
  assert.deepEqual(
    r.map((x) => [x.box, x.profileId]),
    [
      [[0, 0, 100, 100], 'bob'],
      [[100, 0, 100, 100], null],
      [[200, 0, 100, 100], 'ann'],
    ],
  );
  assert.ok(r[0].similarity >= candidates[1].model.threshold && r[0].similarity <= 1);
  // The unknown face reports its nearest miss, below every threshold.
  assert.ok(r[1].similarity > 0 && r[1].similarity < centroidThreshold(8));
});

test('two photos of one person in a collage: the profile goes to the closer face only', () => {
  const w = new World(22);
  const m = model(Array.from({ length: 8 }, () => w.embed('ann')));
  const near = w.embed('ann', 0.1);
  const far = w.embed('ann', 0.4);
  const r = assignFaces([face(far), face(near)], [{ profileId: 'ann', model: m }]);
  assert.deepEqual(
    r.map((x) => x.profileId),
    [null, 'ann'],
  );
});

test('no candidates: every face is unknown with similarity 0', () => {
  const w = new World(23);
  assert.deepEqual(
    assignFaces([face(w.embed('ann'))], []).map((x) => [x.profileId, x.similarity]),
    [[null, 0]],
  );
});

// ---------------------------------------------------------------------------------------------
// Real engine: profiles trained from fixture photos, queried with photos not used in training.

const FIXTURES = new URL('../../../test/fixtures/photos/', import.meta.url);
const bytes = (name: string) => readFileSync(new URL(name, FIXTURES));

let engine: IdentityEngine;
let p06: Candidate;
let p13: Candidate;
before(async () => {
  engine = await createIdentityEngine({ workers: 1 });
  const train = async (id: string, names: string[]): Promise<Candidate> => {
    const out = await trainProfile(
      engine,
      names.map((n) => ({ url: n, image: bytes(n) })),
      'fast',
    );
    if (!out.ok) throw new Error(`training ${id} failed: ${out.message}`);
    return { profileId: id, model: out.model };
  };
  // Neither set contains the photos the group collage is made of (p06 0095, p13 0180).
  p06 = await train('p06', ['caltech_p06_0090.jpg', 'caltech_p06_0092.jpg', 'caltech_p06_0094.jpg', 'caltech_p06_0097.jpg', 'caltech_p06_0099.jpg']);
  p13 = await train('p13', ['caltech_p13_0174.jpg', 'caltech_p13_0175.jpg', 'caltech_p13_0176.jpg', 'caltech_p13_0177.jpg', 'caltech_p13_0178.jpg']);
});
after(async () => {
  await engine?.close();
});

test('real photos: two known people in one group photo are both recognised, once each', async () => {
  const faces = (await recognize(engine, bytes('group_caltech_p06_p13_p21.jpg'), [p13, p06])).sort((a, b) => a.box[0] - b.box[0]);
  assert.deepEqual(
    faces.map((f) => f.profileId),
    ['p06', 'p13', null],
  );
  for (const f of faces.slice(0, 2)) assert.ok(f.similarity > 0.9 && f.similarity <= 1);
});

test('real photos: the same person in a new photo is recognised', async () => {
  for (const [name, c] of [
    ['caltech_p06_0100.jpg', p06],
    ['caltech_p06_0105.jpg', p06],
    ['caltech_p13_0180.jpg', p13],
  ] as const) {
    const faces = await recognize(engine, bytes(name), [p06, p13]);
    const main = faces.sort((a, b) => b.box[2] * b.box[3] - a.box[2] * a.box[3])[0];
    assert.equal(main.profileId, c.profileId, `${name}: similarity ${main.similarity}`);
  }
});

test('real photos: a different person is not recognised as the profile', async () => {
  // Includes a drawing: the anti-spoof model does not flag it, but it matches nobody.
  for (const name of ['caltech_p21_0330.jpg', 'caltech_p02_0030.jpg', 'london_001_neutral.jpg', 'london_002_neutral.jpg', 'caltech_drawing_0391.jpg']) {
    const faces = await recognize(engine, bytes(name), [p06, p13]);
    assert.ok(faces.length >= 1, name);
    for (const f of faces) assert.equal(f.profileId, null, `${name} recognised as ${f.profileId} (${f.similarity})`);
  }
});
