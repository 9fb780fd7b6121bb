// Calibrated similarity thresholds (cosine between 128-d FaceRecognitionNet embeddings of the
// hybrid engine with its default embedding, runtime.ts DEFAULT_EMBED_OPTIONS: Human-mesh
// alignment, eyes levelled, crop 1.1, averaged with the mirror image) and the pure calibration
// functions the benchmarks use to produce them. Re-measure all of them whenever the default
// embedding changes. Neither library's default (face-api's Euclidean 0.6, Human's 0.5
// similarity) is usable: at those cuts strangers match constantly on our photos.

/**
 * Photo-vs-photo match threshold: one face against one other face, at a false accept rate of
 * 1e-3 pooled over caltech (432 photos, 89k impostor pairs) + london (212 photos, 22k pairs).
 * Measured by `node dist/bench/identity-identify.js` (2026-11-21, mesh/flip/roll/1.1
 * embedding): caltech 0.9415, london 0.9375, pooled 0.9410 (TAR 99.6% there; at FAR 1e-4
 * 0.9475, TAR 99.4%). bench/identity-verify.ts agrees (caltech 0.9414, london 0.9374).
 * The previous embedding (face-api 68-point alignment, crop 1.0) needed 0.9435.
 */
export const PAIR_THRESHOLD = 0.941;

/**
 * Face-vs-profile-centroid threshold, FAR 1e-3, by number of faces in the profile. Averaging
 * removes per-photo noise, so genuine scores against a centroid run higher (TAR 99.8% vs
 * 99.6%), and so do the best impostor scores, a little: the centroid cut rises with k.
 * Measured by `node dist/bench/identity-identify.js` (2026-11-21; caltech + london + lisa,
 * centroids of k random screened photos, 40 draws per identity, impostors = every face of
 * other people): threshold @FAR 1e-3 for k=2 0.9428, 3 0.9439, 4 0.9443, 5 0.9467,
 * 7 0.9463, 10 0.9463; with BENCH_DRAWS=240: 0.9432, 0.9440, 0.9442, 0.9461, 0.9462, 0.9461.
 * Each row is the highest cut of its k range, rounded up to 0.0005 (k=10 no longer needs a
 * row of its own). k=1 uses the pair threshold (a one-photo centroid is a photo; measured
 * 0.9407 there).
 */
export const CENTROID_THRESHOLDS: ReadonlyArray<{ minPhotos: number; threshold: number }> = [
  { minPhotos: 1, threshold: PAIR_THRESHOLD },
  { minPhotos: 2, threshold: 0.9445 },
  { minPhotos: 5, threshold: 0.947 },
];

/**
 * Stricter face-vs-centroid cut for deciding which faces go INTO a profile during training
 * (outlier removal and taking back faces the clustering split off). A wrong face in a profile
 * spoils every later match, while dropping a good one costs little, so training admits at
 * FAR 1e-4 instead of 1e-3: the highest FAR-1e-4 centroid threshold over k = 1..10 in
 * `BENCH_DRAWS=240 node dist/bench/identity-identify.js` (2026-11-21) was 0.9537 (k=2; k=3
 * 0.9536, k=5 0.9530, k=10 0.9510), 0.9532 with the default 40 draws, and up to 0.9543 with
 * other seeds: this cut sits on a few dozen impostor scores, so it takes the top of that range.
 * TAR there 99.7–99.8%.
 */
export const TRAINING_ADMIT_THRESHOLD = 0.9545;

/**
 * Clustering cut for training (average linkage, photo-vs-photo scale). The starting advice
 * was a looser cut than the match threshold, because at a strict cut the dominant subject got
 * split in two. With average linkage that split did not happen here: a cluster merges on the
 * mean of all its pairs, so a few weak pairs of the subject's photos do not split it. A looser
 * cut only hurt: look-alike strangers formed clusters rivalling the subject.
 * With the current embedding the pair threshold (0.941) sits at the knee: at 0.93 and below a
 * stranger cluster wins in hard sets, and just above the pair threshold it still does now and
 * then, so the cut is a little stricter than a pair match.
 * `node dist/bench/identity-dominant.js` (2026-11-21, 200 sets each, admission and take-back
 * as above): standard sets (6–7 subject photos) 100% correct on caltech and london for every
 * cut 0.92–0.95; hard sets (fast tier, 4–5 subject photos among collages only): caltech 91.0%
 * at 0.93, 99.5% at 0.94 / 0.941 / 0.945 / 0.95, 99.0% at 0.96; london 100% from 0.92.
 * `BENCH_TRIALS=1000` separates them: caltech hard 98.6% at 0.94 (0.3% stranger profiles),
 * 99.0% at 0.941 (0.3% stranger profiles), 99.7% at 0.945 (none; 0.3% refused for too few
 * photos), 99.6% at 0.95; standard 100% at 0.94–0.95. Without the admission net (outlier cut
 * 0.9) 0.945 alone still builds no stranger profile in hard sets, 0.941 does in 0.8%.
 */
export const CLUSTER_THRESHOLD = 0.945;

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
