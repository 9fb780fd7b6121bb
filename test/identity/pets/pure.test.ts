// Pure parts of the pet layer: thresholds and calibration maths, head application, detection
// decoding, histogram, split and burst rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  acceptRate,
  comparable,
  petMatchThreshold,
  rocAuc,
  similarity,
  tarAtFar,
  thresholdAtFar,
} from '../../../src/identity/pets/thresholds.js';
import { applyHead, frozenVector, headId, loadHeads, parseHeads } from '../../../src/identity/pets/head.js';
import { hsvHistogram, nms, parseDetections, roiAverage, selectDetections, squareCrop } from '../../../src/identity/pets/features.js';
import { partsOfAnimals, sameBurst, splitAnimals } from '../../../scripts/pets/dataset.js';

test('similarity is the cosine, symmetric, and refuses mismatched lengths', () => {
  assert.equal(similarity([1, 0], [1, 0]), 1);
  assert.equal(similarity([1, 0], [0, 2]), 0);
  assert.ok(Math.abs(similarity([1, 1], [2, 2]) - 1) < 1e-12);
  assert.equal(similarity([1, 2, 3], [3, 2, 1]), similarity([3, 2, 1], [1, 2, 3]));
  assert.equal(similarity([0, 0], [1, 0]), 0);
  assert.throws(() => similarity([1], [1, 2]), RangeError);
});

test('thresholds exist per species and species never compare', () => {
  for (const k of ['cat', 'dog'] as const) {
    for (const a of ['photo', 'centroid'] as const) {
      const t = petMatchThreshold(k, a);
      assert.ok(t > 0 && t < 1, `${k} ${a} ${t}`);
    }
  }
  assert.equal(comparable('cat', 'dog'), false);
  assert.equal(comparable('dog', 'dog'), true);
});

test('thresholdAtFar lets through at most far × n impostors', () => {
  const imp = Array.from({ length: 1000 }, (_, i) => i / 1000);
  for (const far of [0.1, 0.01, 0.001, 0]) {
    const cut = thresholdAtFar(imp, far);
    assert.ok(acceptRate(imp, cut) <= far + 1e-12, `far ${far}: ${acceptRate(imp, cut)}`);
    assert.ok(acceptRate(imp, cut - 0.0011) > far, `far ${far}: the cut is the lowest such`);
  }
  const { tar, threshold } = tarAtFar([0.95, 0.99, 0.5], imp, 0.01);
  assert.ok(threshold > 0.989 && threshold < 0.991);
  assert.equal(tar, 1 / 3);
  assert.throws(() => thresholdAtFar([], 0.01), RangeError);
});

test('rocAuc: 1 when separated, 0.5 on ties, 0 when inverted', () => {
  assert.equal(rocAuc([0.9, 0.8], [0.1, 0.2]), 1);
  assert.equal(rocAuc([0.5, 0.5], [0.5]), 0.5);
  assert.equal(rocAuc([0.1], [0.9, 0.8]), 0);
  assert.equal(rocAuc([0.6, 0.2], [0.4]), 0.5);
});

test('frozenVector normalises and weights blocks; applyHead centres, projects, normalises', () => {
  const spec = { blocks: [{ name: 'hsv' as const, weight: 1 }, { name: 'cn' as const, weight: 2 }] };
  const v = frozenVector({ hsv: [3, 4], cn: [0, 5] }, spec);
  [0.6, 0.8, 0, 2].forEach((x, i) => assert.ok(Math.abs(v[i] - x) < 1e-6, `${i}: ${v[i]}`));
  assert.throws(() => frozenVector({ hsv: [1] }, spec), /missing feature block cn/);
  const e = applyHead([1, 1, 1, 3], { mean: [1, 1, 1, 1], projection: null });
  assert.deepEqual(Array.from(e), [0, 0, 0, 1]);
  const p = applyHead([2, 0], { mean: null, projection: [[1, 0], [0, 1], [1, 1]] });
  assert.ok(Math.abs(Math.hypot(...p) - 1) < 1e-6);
  assert.ok(Math.abs(p[0] - p[2]) < 1e-6 && p[1] === 0);
  assert.throws(() => applyHead([1, 2, 3], { mean: null, projection: [[1, 0]] }), RangeError);
  const scaled = applyHead([1, 1], { mean: [0, 0], scale: [0, 2], projection: null });
  assert.deepEqual(Array.from(scaled), [0, 1]);
});

test('the shipped head file loads (or the frozen baseline when absent) and bad files are refused', () => {
  const heads = loadHeads();
  assert.ok(heads.features.blocks.length > 0);
  for (const k of ['cat', 'dog'] as const) assert.equal(heads.trained[k], !!heads.kinds[k].projection || !!heads.kinds[k].scale);
  assert.throws(() => parseHeads({ version: 2 }), /not a version-1/);
  assert.throws(
    () => parseHeads({ version: 1, features: { blocks: [{ name: 'hsv', weight: 1 }] }, kinds: { cat: { mean: [0, 0], projection: [[1, 0], [1]] }, dog: { mean: null, projection: null } } }),
    /rows differ/,
  );
});

test('detections: cat and dog labels on one animal collapse to the stronger; people kept apart', () => {
  const rows = [
    [10, 10, 110, 110, 0.5, 15], // cat
    [12, 8, 112, 108, 0.3, 16], // same animal as a dog
    [200, 10, 300, 110, 0.25, 16], // another dog
    [0, 0, 50, 200, 0.9, 0], // person
    [0, 0, 5, 5, 0.1, 16], // too weak
    [0, 0, 1, 1, NaN, NaN], // padding row
  ].flat();
  const dets = parseDetections(rows, 6);
  assert.equal(dets.length, 5);
  const { animals, persons } = selectDetections(dets, { minAnimalScore: 0.17, minPersonScore: 0.3, iou: 0.45 });
  assert.deepEqual(animals.map((a) => a.kind), ['cat', 'dog']);
  assert.equal(persons.length, 1);
  assert.equal(nms(dets, 0.45).length, 4);
});

test('squareCrop grows and squares the box inside the image', () => {
  const [x, y, w, h] = squareCrop([10, 20, 40, 20], 0.1, 100, 100);
  assert.ok(Math.abs(w - 48) < 1e-9 && Math.abs(h - 48) < 1e-9, `${w}x${h}`);
  assert.ok(x >= 0 && y >= 0);
  const edge = squareCrop([0, 0, 100, 50], 0.1, 100, 50);
  assert.deepEqual(edge.map(Math.round), [0, 0, 100, 50]);
});

test('hsvHistogram: unit length, tells colours apart, stable under small changes', () => {
  const img = (r: number, g: number, b: number) => Uint8Array.from({ length: 16 * 16 * 3 }, (_, i) => [r, g, b][i % 3]);
  const red = hsvHistogram(img(200, 30, 30), 16, 16);
  const blue = hsvHistogram(img(30, 30, 200), 16, 16);
  assert.ok(Math.abs(red.reduce((s, v) => s + v * v, 0) - 1) < 1e-6, 'square-rooted frequencies: unit length');
  assert.ok(similarity(red, blue) < 0.1);
  assert.ok(similarity(red, hsvHistogram(img(210, 40, 40), 16, 16)) > 0.9);
});

test('roiAverage pools the covered cells', () => {
  // 2×2 map, 1 channel: [[1, 2], [3, 4]]
  const map = [1, 2, 3, 4];
  assert.deepEqual(Array.from(roiAverage(map, 2, 2, 1, { x1: 0, y1: 0, x2: 1, y2: 1 })), [2.5]);
  assert.deepEqual(Array.from(roiAverage(map, 2, 2, 1, { x1: 0.6, y1: 0.6, x2: 1, y2: 1 })), [4]);
  assert.deepEqual(Array.from(roiAverage(map, 2, 2, 1, { x1: 0, y1: 0, x2: 0.01, y2: 0.01 })), [1]);
});

test('head ids: one per kind, stable for the same weights, different when the weights or blocks change', () => {
  const spec = { blocks: [{ name: 'hsv' as const, weight: 1 }] };
  const w = { mean: [0.1, 0.2], projection: [[1, 0]] };
  assert.equal(headId('dog', spec, w), headId('dog', spec, { ...w }));
  assert.notEqual(headId('dog', spec, w), headId('cat', spec, w));
  assert.notEqual(headId('dog', spec, w), headId('dog', spec, { ...w, projection: [[0.9, 0]] }));
  assert.notEqual(headId('dog', spec, w), headId('dog', { blocks: [{ name: 'mnv2', weight: 1 }] }, w));
  const shipped = loadHeads();
  assert.match(shipped.ids.dog, /^dog:[0-9a-f]{12}$/);
  assert.match(shipped.ids.cat, /^cat:[0-9a-f]{12}$/);
});

test('split is by animal, deterministic, with the documented sizes', () => {
  const ids = Array.from({ length: 200 }, (_, i) => `dog:${i}`);
  const a = splitAnimals(ids, 'dog');
  const count = (p: string) => [...a.values()].filter((v) => v === p).length;
  assert.deepEqual([count('train'), count('tune'), count('report')], [130, 20, 50]);
  for (const id of ids) assert.equal(splitAnimals([...ids].reverse(), 'dog').get(id), a.get(id), 'order of input does not matter');
  const cats = splitAnimals(Array.from({ length: 15 }, (_, i) => `cat:${i}`), 'cat');
  assert.deepEqual(['train', 'tune', 'report'].map((p) => [...cats.values()].filter((v) => v === p).length), [4, 5, 6]);
});

test('a partial cache keeps every animal in the part the full set gives it', () => {
  const all = Array.from({ length: 300 }, (_, i) => ({ kind: 'dog' as const, animal: `dog:${i}` }));
  const full = partsOfAnimals(all, all);
  // A third of the dogs, as an interrupted feature extraction leaves them.
  const some = all.filter((_, i) => i % 3 === 0);
  const partial = partsOfAnimals(some, all);
  for (const { animal } of some) assert.equal(partial.get(animal), full.get(animal), animal);
  // What the old code did (split only the cached ids) moves animals between parts.
  const naive = splitAnimals(some.map((p) => p.animal), 'dog');
  assert.ok(some.some(({ animal }) => naive.get(animal) !== full.get(animal)), 'the naive split differs, so the test can fail');
});

test('bursts: timestamps within 10 s, and a shot with its re-framed copy', () => {
  assert.equal(sameBurst('cats/a/2020-02-09_18-19-08.jpg', 'cats/a/2020-02-09_18-19-17.jpg'), true);
  assert.equal(sameBurst('cats/a/2020-02-09_18-19-08.jpg', 'cats/a/2020-02-09_18-19-33.jpg'), false);
  assert.equal(sameBurst('cats/t/1.jpg', 'cats/t/1p.jpg'), true);
  assert.equal(sameBurst('cats/t/1.jpg', 'cats/t/10p.jpg'), false);
  assert.equal(sameBurst('cats/l/10_3.jpg', 'cats/l/11_3.jpg'), false);
});

test('int8 projection round-trips within a quantisation step', async () => {
  const { encodeProjection, decodeProjection } = await import('../../../src/identity/pets/head.js');
  const m = [
    [0.5, -0.25, 0.1],
    [-2, 1, 0],
  ];
  const back = decodeProjection(encodeProjection(m));
  for (let r = 0; r < 2; r++) for (let c = 0; c < 3; c++) assert.ok(Math.abs(back[r][c] - m[r][c]) <= Math.abs(m[r][0] || 2) / 127 + 1e-9);
  assert.throws(() => decodeProjection({ ...encodeProjection(m), rows: 3 }), /size mismatch/);
});

test('speciesLookConflict: refuses only when the mean look contradicts the detected species', async () => {
  const { speciesLookConflict } = await import('../../../src/identity/pets/subject.js');
  assert.equal(speciesLookConflict([{ looksCat: 0.8 }, { looksCat: -0.2 }], 'cat'), null);
  assert.deepEqual(speciesLookConflict([{ looksCat: -0.8 }, { looksCat: 0.2 }], 'cat'), { mean: -0.30000000000000004, photos: 2 });
  assert.equal(speciesLookConflict([{ looksCat: -0.8 }], 'dog'), null);
  assert.ok(speciesLookConflict([{ looksCat: 0.5 }, {}], 'dog'));
  // No classifier in the head file: no look, no conflict.
  assert.equal(speciesLookConflict([{}, {}], 'cat'), null);
});

test('speciesScore and the species classifier in a head file', async () => {
  const { speciesScore } = await import('../../../src/identity/pets/head.js');
  const species = { features: { blocks: [{ name: 'mnv2' as const, weight: 1 }] }, mean: [1, 1], w: [2, 0], b: 0.5 };
  assert.equal(speciesScore([2, 5], species), 2.5);
  assert.throws(() => speciesScore([1], species), RangeError);
  const base = { version: 1, features: species.features, kinds: { cat: { mean: null, projection: null }, dog: { mean: null, projection: null } } };
  assert.deepEqual(parseHeads({ ...base, species }).species, species);
  assert.throws(() => parseHeads({ ...base, species: { ...species, w: [1] } }), /malformed species/);
});
