// Calibrated similarity thresholds (cosine between 128-d FaceRecognitionNet embeddings of the
// hybrid engine) and the pure calibration functions the benchmarks use to produce them.
// Neither library's default (face-api's Euclidean 0.6, Human's 0.5 similarity) is usable:
// at those cuts strangers match constantly on our photos.

/**
 * Photo-vs-photo match threshold: one face against one other face, at a false accept rate of
 * 1e-3 pooled over caltech + london impostor pairs.
 * Source: DESIGN.md measurement (pooled FAR 1e-3 at ≈ 0.943); re-measured by
 * `node dist/bench/identity-identify.js` (see PAIR_CALIBRATION below).
 */
export const PAIR_THRESHOLD = 0.943;

/**
 * Face-vs-profile-centroid threshold. Averaging several embeddings removes per-photo noise, so
 * genuine AND impostor scores against a centroid run higher than photo-vs-photo; a centroid
 * needs its own, higher cut. FAR 1e-3, per number of photos in the profile (the more photos,
 * the more the centroid drifts towards the "average face" and the higher impostors score).
 * Source: `node dist/bench/identity-identify.js`, caltech + london, centroids of k random photos.
 */
export const CENTROID_THRESHOLDS: ReadonlyArray<{ minPhotos: number; threshold: number }> = [
  { minPhotos: 1, threshold: 0.943 },
  { minPhotos: 4, threshold: 0.955 },
];

/**
 * Clustering cut for training (average linkage, photo-vs-photo scale). Deliberately looser than
 * PAIR_THRESHOLD: at the strict cut, dominant-subject failures were one person split into two
 * clusters, not strangers merged. Source: `node dist/bench/identity-dominant.js`.
 */
export const CLUSTER_THRESHOLD = 0.92;

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
