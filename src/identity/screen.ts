// Quality screening of faces for training: each rejection carries a reason a user understands
// (decisions.md #19). Pure: takes FaceObservations as the engine measured them.

import { BLUR_REFERENCE_PX } from './quality-metrics.js';
import type { FaceObservation, ImageAnalysis } from './types.js';

/** Reasons shown to users in the per-photo report. Stable strings: clients may key on them. */
export const REASONS = {
  fetch: 'could not be fetched',
  decode: 'could not be decoded',
  tooLarge: 'image too large',
  noFace: 'no face',
  tooSmall: 'face too small',
  tooDark: 'too dark',
  tooBright: 'too bright (blown out)',
  blurry: 'blurry',
  pose: 'extreme head pose',
  occluded: 'face partly covered',
  notReal: 'not a real face',
  someoneElse: 'someone else',
  ambiguous: 'another person appears as often',
  outlier: 'does not look enough like the other photos',
  duplicate: 'same photo as another in the set',
} as const;
export type Reason = (typeof REASONS)[keyof typeof REASONS];

/**
 * Notes on photos that are accepted but weak: listed in the same `reasons` array of the status
 * report next to `accepted: true` (the wire shape is unchanged), so a user can see which photos
 * are worth replacing. Rejected = would hurt the profile; a note = usable, but a better photo helps.
 */
export const NOTES = {
  smallFace: 'small face: fine for recognition, weaker as a reference',
  soft: 'slightly soft: fine for recognition, weaker as a reference',
} as const;
export type Note = (typeof NOTES)[keyof typeof NOTES];

/**
 * Limits of an acceptable training face, set on the hybrid engine's measurements of the main
 * face of all 435 caltech + 212 london photos and of testdata/derived/quality (p06_*):
 * - blur (FaceObservation.blur, px at the face's own size; issue #8, bench/screening.ts, tune
 *   split, 2026-12-01): clean photos downscaled to faces of 80–160 px and JPEG q60–q90 read
 *   0.94–1.47; blurred ones 1.55 and up, but only a few near-vertical 5 px motion blurs read
 *   under 1.6 (3 of 160). 1.6 at 80 px, not 1.55: lightly soft news-style photos (σ 0.7
 *   after the downscale, test/fixtures/photos/*_face100.jpg) read up to 1.53. At
 *   250 px, clean faces read up to 1.71 (webcam selfies, and photos upscaled ≤ 1.3× to reach
 *   that size), blurred ones 2.02 and up; Gaussian σ 1.5 reads ≥ 1.93 at every size, motion
 *   5 px ≥ 1.71 from 120 px → the limit rises linearly from 1.6 at 80 px to 1.9 at 256 px
 *   (swept on the tune split: it keeps every target and accepts the most lightly softened
 *   photos, 80–88% of them; a flat 1.6 up to 160 px accepted 64% at 160 px). Derived at
 *   full size: reference 1.10, jpeg_q5 1.27, sigma3 3.85, sigma8 5.75, motion 3.21. (The
 *   earlier Laplacian-variance rule, on a crop resized to 128 px, read every small face as
 *   blurry: it rejected most press photos with 100–120 px faces.)
 * - brightness: natural 30.2 .. 214 (the manifest's dim/backlit photos are 30–45 and still
 *   embed well: leave-one-out similarity to their person 0.967–0.991); derived ×0.18 = 26.2,
 *   ×0.06 = 8.7 → 28. Clipping: natural up to 0.41 (a bright, still well embedded face) → 0.5.
 * - pose: natural |yaw| ≤ 12.6°, |pitch| ≤ 13.6°, |roll| ≤ 20.4°; rotated90 reads 78/75/77°.
 * - face size: natural mesh boxes 139 px and up; tiny_120w 38 px, small_face_wide_frame 60 px.
 *   Photos downscaled so the face is 80 px measure 77–83 px (the mesh box jitters by ±4%), so
 *   the 80 px product rule is applied with that measurement margin.
 * - real (anti-spoof): natural 0.39 .. 0.95 but the three caltech drawings score 0.61–0.75,
 *   so this only guards against the extreme cases the model does catch (see the report).
 * - visibility: 1.0 on every photo, including the hand-over-eye one. With the mesh-aligned,
 *   flip-averaged embedding these occluded faces no longer drift either (leave-one-out 0.967
 *   for p20/0319 arm across forehead and p20/0325 hand over eye, above the admission cut), so
 *   training keeps them: harmless for matching, but nothing here stops one becoming a reference.
 * Re-checked 2026-11-21 on the analyses of the current default embedding
 * (`node dist/bench/identity-identify.js`): the measurements above are taken on the mesh box,
 * not the embedding crop, and came out unchanged (all 644 natural photos accepted); no limit
 * depends on the embedding.
 */
export const QUALITY = {
  /** Longer side of the face box in pixels (product rule: under 80 px is too small to learn a likeness). */
  minFacePx: 80,
  /** Measurement margin of the face size (px): a face measured this much under minFacePx still passes. */
  facePxMargin: 4,
  /** Mean luma of the face crop (0..255). */
  minBrightness: 28,
  maxBrightness: 225,
  /** Fraction of clipped pixels in the face crop above which exposure is unusable. */
  maxClipped: 0.5,
  /**
   * Blur of the face in pixels at its own size (FaceObservation.blur) above which it is rejected,
   * for faces up to blurRampFromPx; the limit rises linearly to maxBlurLargePx at 256 px (the
   * size blur is judged at, see quality-metrics.ts): the same pixels of blur matter less on a
   * larger face.
   */
  maxBlurPx: 1.6,
  blurRampFromPx: 80,
  maxBlurLargePx: 1.9,
  /** Accepted faces within this much of the blur limit get the "slightly soft" note. */
  softBlurMarginPx: 0.15,
  /** Accepted faces smaller than this get the "small face" note. */
  noteFacePx: 120,
  /** Head pose in degrees. Roll is milder: it is undone by alignment up to a point. */
  maxYaw: 50,
  maxPitch: 35,
  maxRoll: 40,
  /** Landmark visibility proxy (0..1), when the engine gives one. */
  minVisibility: 0.5,
  /** Anti-spoof "real face" score (0..1), when the engine gives one. */
  minReal: 0.3,
} as const;
export type QualityLimits = { -readonly [K in keyof typeof QUALITY]: number };

/** Below this the edge-width estimate has too few pixels to go on; such faces are too small anyway. */
const MIN_BLUR_FACE_PX = 24;

export interface ScreenResult {
  accepted: boolean;
  reasons: Reason[];
  /** Notes on an accepted but weak face (empty when rejected: the reasons say enough). */
  notes: Note[];
}

/** Screens one face. Several reasons may apply (in a fixed order); none means accepted. */
export function screenFace(face: FaceObservation, limits: QualityLimits = QUALITY): ScreenResult {
  const reasons: Reason[] = [];
  if (face.real !== null && face.real < limits.minReal) reasons.push(REASONS.notReal);
  const size = faceSize(face);
  if (size < limits.minFacePx - limits.facePxMargin) reasons.push(REASONS.tooSmall);
  if (face.brightness < limits.minBrightness) reasons.push(REASONS.tooDark);
  else if (face.brightness > limits.maxBrightness) reasons.push(REASONS.tooBright);
  // Many clipped pixels at a mid mean = harsh contrast (backlight, flash); name the side it leans to.
  else if (face.clipped > limits.maxClipped) reasons.push(face.brightness >= 128 ? REASONS.tooBright : REASONS.tooDark);
  // Blur is measured at the face's own pixels (never upsampled), so it holds for small faces
  // too (tiny_120w, 38 px: 1.26): a blurred small face is both.
  const maxBlur = blurLimit(size, limits);
  if (face.blur > maxBlur && size >= MIN_BLUR_FACE_PX) reasons.push(REASONS.blurry);
  const { yaw, pitch, roll } = face.pose;
  if (Math.abs(yaw) > limits.maxYaw || Math.abs(pitch) > limits.maxPitch || Math.abs(roll) > limits.maxRoll)
    reasons.push(REASONS.pose);
  if (face.visibility !== null && face.visibility < limits.minVisibility) reasons.push(REASONS.occluded);
  if (reasons.length > 0) return { accepted: false, reasons, notes: [] };
  const notes: Note[] = [];
  if (size < limits.noteFacePx) notes.push(NOTES.smallFace);
  if (face.blur > maxBlur - limits.softBlurMarginPx) notes.push(NOTES.soft);
  return { accepted: true, reasons, notes };
}

/** The blur limit (px) for a face of `size` px: flat up to blurRampFromPx, then rising to 256 px. */
export function blurLimit(size: number, limits: QualityLimits = QUALITY): number {
  const t = Math.min(1, Math.max(0, (size - limits.blurRampFromPx) / (BLUR_REFERENCE_PX - limits.blurRampFromPx)));
  return limits.maxBlurPx + t * (limits.maxBlurLargePx - limits.maxBlurPx);
}

/** Face size in pixels: the longer side of the box (mesh boxes are tight and taller than wide). */
export function faceSize(face: FaceObservation): number {
  return Math.max(face.box[2], face.box[3]);
}

/**
 * How prominent a face is in its photo: its area, discounted by distance from the centre
 * (posters and passers-by sit at the edges). Used to pick the photo's main face when the
 * photo alone must be judged (no other photos to cluster against).
 */
export function prominence(face: FaceObservation, width: number, height: number): number {
  const [x, y, w, h] = face.box;
  const cx = (x + w / 2) / Math.max(1, width) - 0.5;
  const cy = (y + h / 2) / Math.max(1, height) - 0.5;
  const off = Math.min(1, Math.hypot(cx, cy) / Math.SQRT1_2); // 0 centre .. 1 corner
  return w * h * (1 - 0.5 * off);
}

/** Index of the photo's main face (most prominent), or -1 when there is none. */
export function primaryFace(analysis: Pick<ImageAnalysis, 'faces' | 'width' | 'height'>): number {
  let best = -1;
  let bestScore = -Infinity;
  analysis.faces.forEach((f, i) => {
    const s = prominence(f, analysis.width, analysis.height);
    if (s > bestScore) {
      bestScore = s;
      best = i;
    }
  });
  return best;
}

/** Screens a photo on its own: its main face decides (a photo with no face is rejected). */
export function screenPhoto(analysis: ImageAnalysis, limits: QualityLimits = QUALITY): ScreenResult & { face: number } {
  const face = primaryFace(analysis);
  if (face < 0) return { accepted: false, reasons: [REASONS.noFace], notes: [], face };
  return { ...screenFace(analysis.faces[face], limits), face };
}

/**
 * Ranking score of an accepted face as a reference photo: sharp, frontal, large. Each term is
 * squashed to 0..1 so no single measurement dominates. Higher is better.
 */
export function referenceQuality(face: FaceObservation): number {
  const sharp = 1 - Math.exp(-face.sharpness / 200);
  const { yaw, pitch, roll } = face.pose;
  // Quadratic: a slightly turned head costs little (it is still a good reference), a strong turn a lot.
  const frontal = Math.max(0, 1 - Math.hypot(yaw / 60, pitch / 40, roll / 60) ** 2);
  const size = Math.min(1, faceSize(face) / 300);
  const exposure = 1 - Math.min(1, Math.abs(face.brightness - 128) / 128);
  return 0.35 * sharp + 0.35 * frontal + 0.2 * size + 0.1 * exposure;
}
