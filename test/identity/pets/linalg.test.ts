// The closed-form metric learning maths of the pet head (src/identity/pets/linalg.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fisherTwoClass, matMul, matTMul, orthonormalizeColumns, randomizedPca, scatterMatrices, symmetricEigen, wccnLda } from '../../../src/identity/pets/linalg.js';

function lcg(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296) * 2 - 1;
}

test('matMul and matTMul agree with hand-computed products', () => {
  const A = [1, 2, 3, 4, 5, 6]; // 2×3
  const B = [7, 8, 9, 10, 11, 12]; // 3×2
  assert.deepEqual(Array.from(matMul(A, B, 2, 3, 2)), [58, 64, 139, 154]);
  // Aᵀ·C for A 2×3, C 2×2.
  assert.deepEqual(Array.from(matTMul(A, [1, 0, 0, 1], 2, 3, 2)), [1, 4, 2, 5, 3, 6]);
});

test('symmetricEigen: A·v = λ·v, orthonormal vectors, descending values', () => {
  const n = 12;
  const r = lcg(3);
  const M = Float64Array.from({ length: n * n }, r);
  const S = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) S[i * n + j] = M[i * n + j] + M[j * n + i];
  const { values, vectors } = symmetricEigen(S, n);
  for (let e = 1; e < n; e++) assert.ok(values[e - 1] >= values[e]);
  for (let e = 0; e < n; e++) {
    for (let i = 0; i < n; i++) {
      let av = 0;
      for (let j = 0; j < n; j++) av += S[i * n + j] * vectors[j * n + e];
      assert.ok(Math.abs(av - values[e] * vectors[i * n + e]) < 1e-9, `A v = λ v for eigenpair ${e}`);
    }
    for (let f = 0; f < n; f++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += vectors[i * n + e] * vectors[i * n + f];
      assert.ok(Math.abs(dot - (e === f ? 1 : 0)) < 1e-9);
    }
  }
  // A known spectrum: diag(1, 5, 3) rotated stays {5, 3, 1}.
  const d = symmetricEigen([1, 0, 0, 0, 5, 0, 0, 0, 3], 3);
  assert.deepEqual(Array.from(d.values), [5, 3, 1]);
});

test('orthonormalizeColumns gives QᵀQ = I', () => {
  const r = lcg(5);
  const M = Float64Array.from({ length: 20 * 4 }, r);
  const Q = orthonormalizeColumns(M, 20, 4);
  const G = matTMul(Q, Q, 20, 4, 4);
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) assert.ok(Math.abs(G[i * 4 + j] - (i === j ? 1 : 0)) < 1e-10);
});

test('randomizedPca recovers the dominant directions and their variances of low-rank data', () => {
  // 400 samples in 50-d: variance 9 along e0+e1, 4 along e2, tiny noise elsewhere.
  const n = 400;
  const d = 50;
  const r = lcg(11);
  const X = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const a = r() * Math.sqrt(3) * 3; // uniform on [-3√3, 3√3]: variance 9
    const b = r() * Math.sqrt(3) * 2; // variance 4
    X[i * d] = a / Math.SQRT2;
    X[i * d + 1] = a / Math.SQRT2;
    X[i * d + 2] = b;
    for (let j = 3; j < d; j++) X[i * d + j] = 0.01 * r();
  }
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += X[i * d + j] / n;
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) X[i * d + j] -= mean[j];
  const p = randomizedPca(X, n, d, 2, { seed: 2 });
  assert.equal(p.k, 2);
  assert.ok(Math.abs(Math.abs(p.components[0]) - Math.SQRT1_2) < 0.02 && Math.abs(Math.abs(p.components[1]) - Math.SQRT1_2) < 0.02);
  assert.ok(Math.abs(Math.abs(p.components[d + 2]) - 1) < 0.01);
  assert.ok(Math.abs(p.variances[0] - 9) < 1.5 && Math.abs(p.variances[1] - 4) < 0.8, `variances ${p.variances}`);
});

test('wccnLda keeps the direction that separates classes even when it has the least total variance', () => {
  // 2-d: within-class spread is huge along x (shared nuisance, e.g. pose), classes differ along y.
  const r = lcg(17);
  const Y: number[] = [];
  const labels: number[] = [];
  for (let c = 0; c < 30; c++) {
    const cy = r() * 1.0;
    for (let s = 0; s < 4; s++) {
      Y.push(r() * 10, cy + r() * 0.05);
      labels.push(c);
    }
  }
  const { within, between } = scatterMatrices(Y, labels, labels.length, 2);
  assert.ok(within[0] > 10 * within[3], 'nuisance dominates the within-class scatter');
  const W = wccnLda(within, between, 2, 1, 1e-6);
  // One output dimension, pointing (almost) along y.
  assert.equal(W.length, 2);
  assert.ok(Math.abs(W[1]) > 50 * Math.abs(W[0]), `direction ${Array.from(W)}`);
  // And it identifies: nearest class mean in the projected space is the right class for most samples.
  const proj = (i: number) => W[0] * Y[2 * i] + W[1] * Y[2 * i + 1];
  const means = new Map<number, number[]>();
  labels.forEach((c, i) => means.set(c, [...(means.get(c) ?? []), proj(i)]));
  const m = new Map([...means].map(([c, v]) => [c, v.reduce((a, b) => a + b, 0) / v.length]));
  let right = 0;
  labels.forEach((c, i) => {
    let best = -1;
    let bd = Infinity;
    for (const [cc, mv] of m) if (Math.abs(proj(i) - mv) < bd) [bd, best] = [Math.abs(proj(i) - mv), cc];
    if (best === c) right++;
  });
  assert.ok(right / labels.length > 0.6, `${right}/${labels.length}`);
  // With m = k it is the whitening alone: W·Sw·Wᵀ ≈ I (λ tiny).
  const T = wccnLda(within, between, 2, 2, 1e-9);
  const S = matMul(matMul(T, within, 2, 2, 2), [T[0], T[2], T[1], T[3]], 2, 2, 2);
  assert.ok(Math.abs(S[0] - 1) < 1e-3 && Math.abs(S[3] - 1) < 1e-3 && Math.abs(S[1]) < 1e-3, `W·Sw·Wᵀ = ${Array.from(S)}`);
});

test('fisherTwoClass separates two unequal classes along the discriminative direction, means at ±1', () => {
  const r = lcg(23);
  const Z: number[] = [];
  const labels: number[] = [];
  // Class 0: 200 samples, class 1: 20 (as dogs vs cats); they differ along y, x is large shared noise.
  for (let i = 0; i < 220; i++) {
    const c = i < 200 ? 0 : 1;
    Z.push(r() * 5, (c ? 1 : -1) * 0.5 + r() * 0.3);
    labels.push(c);
  }
  const { w, b } = fisherTwoClass(Z, labels, labels.length, 2, 1e-6);
  assert.ok(Math.abs(w[1]) > 20 * Math.abs(w[0]), `w = ${Array.from(w)}`);
  const score = (i: number) => w[0] * Z[2 * i] + w[1] * Z[2 * i + 1] + b;
  let ok = 0;
  for (let i = 0; i < labels.length; i++) if ((score(i) > 0 ? 1 : 0) === labels[i]) ok++;
  assert.equal(ok, labels.length);
  const mean = (c: number) => labels.reduce((s, l, i) => s + (l === c ? score(i) : 0), 0) / labels.filter((l) => l === c).length;
  assert.ok(Math.abs(mean(1) - 1) < 1e-9 && Math.abs(mean(0) + 1) < 1e-9);
  assert.throws(() => fisherTwoClass([1, 2], [0], 1, 2, 0.1), RangeError);
});
