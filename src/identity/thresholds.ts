// Calibrated similarity thresholds (cosine between 128-d FaceRecognitionNet embeddings of the
// hybrid engine) and the pure calibration functions the benchmarks use to produce them.
// Neither library's default (face-api's Euclidean 0.6, Human's 0.5 similarity) is usable:
// at those cuts strangers match constantly on our photos.

/**
 * Photo-vs-photo match threshold: one face against one other face, at a false accept rate of
 * 1e-3 pooled over caltech (435 photos, 89k impostor pairs) + london (212 photos, 22k pairs).
 * Measured by `node dist/bench/identity-identify.js` (2026-11-21): caltech 0.9440, london
 * 0.9370, pooled 0.9435 (TAR 99.2% there). DESIGN.md's earlier measurement: ≈ 0.943.
 */
export const PAIR_THRESHOLD = 0.9435;

/**
 * Face-vs-profile-centroid threshold, FAR 1e-3, by number of faces in the profile. Averaging
 * removes per-photo noise, so genuine scores against a centroid run higher (TAR 99.7% vs
 * 99.2%), and so do the best impostor scores, a little: the centroid cut rises with k.
 * Measured by `node dist/bench/identity-identify.js` (caltech + london + lisa, centroids of k
 * random screened photos, impostors = every face of other people): threshold @FAR 1e-3 for
 * k=1 0.9410, 2 0.9465, 3 0.9459, 4 0.9463, 5 0.9467, 7 0.9468, 10 0.9483. k=1 uses the
 * pair threshold (a one-photo centroid is a photo).
 */
export const CENTROID_THRESHOLDS: ReadonlyArray<{ minPhotos: number; threshold: number }> = [
  { minPhotos: 1, threshold: PAIR_THRESHOLD },
  { minPhotos: 2, threshold: 0.9465 },
  { minPhotos: 5, threshold: 0.947 },
  { minPhotos: 10, threshold: 0.9485 },
];

/**
 * Stricter face-vs-centroid cut for deciding which faces go INTO a profile during training
 * (outlier removal and taking back faces the clustering split off). A wrong face in a profile
 * spoils every later match, while dropping a good one costs little, so training admits at
 * FAR 1e-4 instead of 1e-3: the highest FAR-1e-4 centroid threshold over k = 1..10 in
 * `node dist/bench/identity-identify.js` was 0.9553 (k=2); TAR there 99.5%.
 * With the 1e-3 thresholds instead, 1% of caltech standard training sets took a stranger in.
 */
export const TRAINING_ADMIT_THRESHOLD = 0.955;

/**
 * Clustering cut for training (average linkage, photo-vs-photo scale). The starting advice
 * was a looser cut than the match threshold, because at a strict cut the dominant subject got
 * split in two. With average linkage that split did not happen here: a cluster merges on the
 * mean of all its pairs, so a few weak pairs of the subject's photos do not split it. A looser
 * cut only hurt: look-alike strangers formed clusters rivalling the subject.
 * `node dist/bench/identity-dominant.js`, 200 sets each; "hard" = fast tier, 4–5 subject photos
 * among collages only (caltech): cut 0.92 → 88.0% correct (5% stranger in the profile, 7%
 * false tie), 0.93 → 90.0%, 0.9435 → 99.0%, 0.95 → 99.0%, 0.96 → 98.0% without take-back
 * (99.0% with it). Standard sets (6–7 subject photos): 99.5% at 0.92, 100% at 0.9435.
 */
export const CLUSTER_THRESHOLD = PAIR_THRESHOLD;

/** The stored threshold for a profile trained from `photos` accepted faces. */
export function centroidThreshold(photos: number): number {
  let t = CENTROID_THRESHOLDS[0].threshold;
  for (const row of CENTROID_THRESHOLDS) if (photos >= row.minPhotos) t = row.threshold;
  return t;
}

// ---------------------------------------------------------------------------------------------
// Calibration (pure; used by the benchmarks that write the constants above)

/**
 * The lowest threshold t (a match is `score >= t`) at which at most `far` of the impostor
 * scores are accepted. With n impostor scores, floor(far * n) of them may lie at or above t.
 * Returned as a value just above the first impostor score that must be rejected, rounded up to
 * 4 decimals so it reads as a constant.
 */
export function thresholdAtFar(impostorScores: readonly number[], far: number): number {
  if (impostorScores.length === 0) throw new RangeError('no impostor scores');
  if (!(far >= 0 && far < 1)) throw new RangeError(`far must be in [0, 1): ${far}`);
  const sorted = [...impostorScores].sort((a, b) => b - a);
  const allowed = Math.floor(far * sorted.length);
  if (allowed >= sorted.length) return -1;
  const mustReject = sorted[allowed];
  return Math.ceil((mustReject + 1e-9) * 1e4) / 1e4;
}

export interface ErrorRates {
  threshold: number;
  /** Fraction of impostor scores accepted (>= threshold). */
  far: number;
  /** Fraction of genuine scores accepted. */
  tar: number;
}

export function errorRates(genuine: readonly number[], impostor: readonly number[], threshold: number): ErrorRates {
  const frac = (xs: readonly number[]) => (xs.length === 0 ? 0 : xs.filter((s) => s >= threshold).length / xs.length);
  return { threshold, far: frac(impostor), tar: frac(genuine) };
}
