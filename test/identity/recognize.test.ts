import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assignFaces, similarityToProfile, type Candidate } from '../../src/identity/recognize.js';
import { centroidThreshold } from '../../src/identity/thresholds.js';
import type { ProfileModel } from '../../src/identity/types.js';
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
