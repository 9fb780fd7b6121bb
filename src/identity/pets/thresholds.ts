// Per-species similarity thresholds for pet embeddings (cosine between unit vectors of the
// trained head, vision.ts) and the pure calibration helpers the benchmarks use to produce
// them. Re-measure whenever the head (models/pets/head.json) or the features change:
// `npm run bench -- pets-reid` prints the cut at FAR 1% and 0.1% on the tune animals.
import type { AnimalKind } from './types.js';

/** Cosine similarity of two embeddings (unit vectors: their dot product), clamped to [-1, 1]. */
export function similarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`embedding length mismatch: ${a.length} vs ${b.length}`);
  let s = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    s += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  if (na === 0 || nb === 0) return 0;
  return Math.max(-1, Math.min(1, s / Math.sqrt(na * nb)));
}

/**
 * Photo-vs-photo match cut per species, at FAR 1e-3 on the tune animals (never the report
 * ones): a wrong animal is worse than an unknown one. See docs/pets.md for the figures.
 */
export const PET_PAIR_THRESHOLDS: Readonly<Record<AnimalKind, number>> = {
  // `BENCH_TRIALS=1000 node dist/bench/pets-reid.js` (2026-12-02 03:26 UTC, shipped head: dogs
  // WCCN+LDA k=512 m=48 λ=0.5 fitted on all 714 train dogs, cats frozen): cut @FAR 0.1% on tune
  // dogs 0.5936 (110 dogs, 102k impostor pairs), tune cats 0.6013 (5 cats, 2.4k pairs); rounded up.
  dog: 0.594,
  cat: 0.605,
};

/**
 * Photo-vs-profile-centroid cut per species, for choosing among a household's profiles (the
 * best profile must also reach this cut, else the animal is unknown).
 */
export const PET_CENTROID_THRESHOLDS: Readonly<Record<AnimalKind, number>> = {
  // Same run: the household cut (profiles = centroids of ≤ 3 photos, households of 2–4, wrong
  // animal ≤ 1% on tune): dogs 0.330 / 0.440 / 0.502 for 2 / 3 / 4 pets, cats 0.545; the
  // largest, rounded up. On report dogs of households of 2–4 this gives ≤ 1% wrong (docs/pets.md).
  dog: 0.51,
  cat: 0.55,
};

export function petMatchThreshold(kind: AnimalKind, against: 'photo' | 'centroid' = 'centroid'): number {
  return (against === 'photo' ? PET_PAIR_THRESHOLDS : PET_CENTROID_THRESHOLDS)[kind];
}

/** Whether two observations may be compared at all: never across species. */
export function comparable(a: AnimalKind, b: AnimalKind): boolean {
  return a === b;
}

/**
 * The lowest cut whose false accept rate on `impostor` scores is at most `far` (a score
 * matches when it is ≥ the cut). With n impostors the finest measurable FAR is 1/n.
 */
export function thresholdAtFar(impostor: readonly number[], far: number): number {
  if (impostor.length === 0) throw new RangeError('no impostor scores');
  const s = [...impostor].sort((a, b) => b - a);
  const allowed = Math.floor(far * s.length); // this many impostors may pass
  if (allowed >= s.length) return -Infinity;
  // Strictly above the (allowed+1)-th highest impostor.
  return nextUp(s[allowed]);
}

function nextUp(v: number): number {
  return v + Math.max(1e-9, Math.abs(v) * 1e-9);
}

/** Fraction of genuine scores at or above the cut. */
export function acceptRate(scores: readonly number[], cut: number): number {
  if (scores.length === 0) return NaN;
  let n = 0;
  for (const s of scores) if (s >= cut) n++;
  return n / scores.length;
}

/** True accept rate at the cut that allows `far` impostors. */
export function tarAtFar(genuine: readonly number[], impostor: readonly number[], far: number): { tar: number; threshold: number } {
  const threshold = thresholdAtFar(impostor, far);
  return { tar: acceptRate(genuine, threshold), threshold };
}

/** ROC AUC: probability that a random genuine score beats a random impostor (ties count half). */
export function rocAuc(genuine: readonly number[], impostor: readonly number[]): number {
  if (genuine.length === 0 || impostor.length === 0) return NaN;
  const all = [...genuine.map((s) => ({ s, g: 1 })), ...impostor.map((s) => ({ s, g: 0 }))].sort((a, b) => a.s - b.s);
  let rankSum = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && all[j].s === all[i].s) j++;
    const avgRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (all[k].g) rankSum += avgRank;
    i = j;
  }
  const nG = genuine.length;
  return (rankSum - (nG * (nG + 1)) / 2) / (nG * impostor.length);
}
