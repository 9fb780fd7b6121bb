import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assignOneToOne } from '../../src/identity/match.js';
import { rng } from './synthetic.js';

test('no faces or no candidates: nothing assigned', () => {
  assert.deepEqual(assignOneToOne([], [0.9]), []);
  assert.deepEqual(assignOneToOne([[], []], []), [null, null]);
});

test('a face is assigned only at or above the candidate threshold', () => {
  assert.deepEqual(assignOneToOne([[0.95]], [0.95]), [0]);
  assert.deepEqual(assignOneToOne([[0.9499]], [0.95]), [null]);
});

test('each candidate has its own threshold', () => {
  // Face 0 is more similar to candidate 0, but only candidate 1's (lower) cut is cleared.
  assert.deepEqual(assignOneToOne([[0.96, 0.95]], [0.97, 0.94]), [1]);
});

test('two faces never map to one profile: the more similar face wins', () => {
  assert.deepEqual(assignOneToOne([[0.96], [0.98]], [0.95]), [null, 0]);
});

test('one face never maps to two profiles: the most similar profile wins', () => {
  assert.deepEqual(assignOneToOne([[0.96, 0.99, 0.97]], [0.95, 0.95, 0.95]), [1]);
});

test('greedy keeps the most similar pair even where a larger total would break it', () => {
  // A: P1 0.97, P2 0.96; B: P1 0.96. Hungarian would give A→P2, B→P1 (sum 1.92).
  // Greedy: A→P1 (the strongest statement), B unknown.
  assert.deepEqual(
    assignOneToOne(
      [
        [0.97, 0.96],
        [0.96, 0.0],
      ],
      [0.95, 0.95],
    ),
    [0, null],
  );
});

test('the second best candidate is used when the best one is taken', () => {
  assert.deepEqual(
    assignOneToOne(
      [
        [0.99, 0.97],
        [0.98, 0.96],
      ],
      [0.95, 0.95],
    ),
    [0, 1],
  );
});

test('equal similarities: larger margin over the threshold first, then lower index', () => {
  assert.deepEqual(assignOneToOne([[0.97, 0.97]], [0.96, 0.95]), [1]);
  assert.deepEqual(assignOneToOne([[0.97], [0.97]], [0.95]), [0, null]);
});

test('rows must have one score per candidate', () => {
  assert.throws(() => assignOneToOne([[0.9, 0.9]], [0.5]), RangeError);
});

test('random matrices: one-to-one, above threshold, maximal, and no pair beaten by an unused better pair', () => {
  const rand = rng(7);
  for (let trial = 0; trial < 300; trial++) {
    const nf = 1 + Math.floor(rand() * 6);
    const nc = 1 + Math.floor(rand() * 6);
    const sim = Array.from({ length: nf }, () => Array.from({ length: nc }, () => 0.85 + 0.15 * rand()));
    const thr = Array.from({ length: nc }, () => 0.9 + 0.05 * rand());
    const a = assignOneToOne(sim, thr);
    const used = a.filter((c): c is number => c !== null);
    assert.equal(new Set(used).size, used.length, 'a candidate was given twice');
    a.forEach((c, f) => {
      if (c !== null) assert.ok(sim[f][c] >= thr[c]);
    });
    // Maximal: no unassigned face with a free candidate it qualifies for.
    a.forEach((c, f) => {
      if (c !== null) return;
      for (let k = 0; k < nc; k++) assert.ok(used.includes(k) || sim[f][k] < thr[k], `face ${f} could have had ${k}`);
    });
    // Stable: an assigned pair is never less similar than a qualifying pair of a face and a
    // candidate that would both prefer each other.
    a.forEach((c, f) => {
      for (let k = 0; k < nc; k++) {
        if (k === c || sim[f][k] < thr[k]) continue;
        const holder = a.indexOf(k);
        const better = sim[f][k] > (c === null ? -1 : sim[f][c]) && (holder < 0 || sim[f][k] > sim[holder][k]);
        assert.ok(!better, `face ${f} and candidate ${k} prefer each other`);
      }
    });
  }
});
