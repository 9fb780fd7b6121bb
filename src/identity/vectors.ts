// Small vector helpers for face embeddings. Pure; no allocation beyond the returned arrays.

export type Vector = readonly number[];

export function dot(a: Vector, b: Vector): number {
  if (a.length !== b.length) throw new RangeError(`vector length mismatch: ${a.length} vs ${b.length}`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function norm(a: Vector): number {
  return Math.sqrt(dot(a, a));
}

/** Unit vector in the direction of `a`; a zero vector stays zero (there is no direction to keep). */
export function normalise(a: Vector): number[] {
  const n = norm(a);
  return n === 0 ? a.map(() => 0) : a.map((v) => v / n);
}

/** Cosine similarity in [-1, 1]; 0 when either vector is zero. Inputs need not be normalised. */
export function cosine(a: Vector, b: Vector): number {
  const na = norm(a);
  const nb = norm(b);
  if (na === 0 || nb === 0) return 0;
  const c = dot(a, b) / (na * nb);
  // Rounding can push |c| a hair past 1.
  return Math.max(-1, Math.min(1, c));
}

/** Element-wise mean of equal-length vectors. Throws on an empty list (no meaningful mean). */
export function mean(vectors: readonly Vector[]): number[] {
  if (vectors.length === 0) throw new RangeError('mean of no vectors');
  const d = vectors[0].length;
  const out = new Array<number>(d).fill(0);
  for (const v of vectors) {
    if (v.length !== d) throw new RangeError(`vector length mismatch: ${v.length} vs ${d}`);
    for (let i = 0; i < d; i++) out[i] += v[i];
  }
  for (let i = 0; i < d; i++) out[i] /= vectors.length;
  return out;
}

/** Normalised mean: the direction a set of unit embeddings agrees on (the profile centroid). */
export function centroid(vectors: readonly Vector[]): number[] {
  return normalise(mean(vectors));
}
