// Face geometry between the two libraries of the hybrid engine (pure, no I/O).
// Human finds faces; face-api's landmark and recognition nets expect their own crops.
import type { Box } from './types.js';

export type Point2 = [number, number];

/**
 * The box face-api's 68-point landmark net expects (its SSD detector's style), from Human's
 * mesh box. Median relation measured over 945 faces (DESIGN.md).
 */
export function landmarkNetBox([x, y, w, h]: Box): Box {
  return [x - 0.027 * w, y - 0.101 * h, 1.009 * w, 1.093 * h];
}

/** Axis-aligned bounding box of points. */
export function boundingBox(points: ArrayLike<ArrayLike<number>>): Box {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (let i = 0; i < points.length; i++) {
    const [x, y] = [points[i][0], points[i][1]];
    if (x < x0) x0 = x;
    if (y < y0) y0 = y;
    if (x > x1) x1 = x;
    if (y > y1) y1 = y;
  }
  if (!Number.isFinite(x0)) return [0, 0, 0, 0];
  return [x0, y0, x1 - x0, y1 - y0];
}

/** Integer box clipped to the image, for tensor slicing; null when nothing is left. */
export function clipBox([x, y, w, h]: Box, width: number, height: number): Box | null {
  const x0 = Math.max(0, Math.floor(x));
  const y0 = Math.max(0, Math.floor(y));
  const x1 = Math.min(width, Math.ceil(x + w));
  const y1 = Math.min(height, Math.ceil(y + h));
  if (x1 - x0 < 2 || y1 - y0 < 2) return null;
  return [x0, y0, x1 - x0, y1 - y0];
}

/** Multiplies a box's coordinates (e.g. from the downscaled analysis image to the original). */
export function scaleBox([x, y, w, h]: Box, s: number): Box {
  return [x * s, y * s, w * s, h * s];
}

const mean = (pts: Point2[]): Point2 => {
  let sx = 0;
  let sy = 0;
  for (const [x, y] of pts) {
    sx += x;
    sy += y;
  }
  return [sx / pts.length, sy / pts.length];
};

/** The reference points face-api aligns on: centres of the left eye, right eye and mouth. */
export function alignmentRefPoints(landmarks68: Point2[]): RefPoints {
  if (landmarks68.length !== 68) throw new RangeError(`expected 68 landmarks, got ${landmarks68.length}`);
  return {
    leftEye: mean(landmarks68.slice(36, 42)),
    rightEye: mean(landmarks68.slice(42, 48)),
    mouth: mean(landmarks68.slice(48, 68)),
  };
}

export interface AlignOptions {
  /** Rotate so the eyes are level (face-api's own alignment does not). */
  rotate: boolean;
  /** Crop side relative to face-api's dlib-style crop (1 = same framing). */
  scale: number;
}

/**
 * Projective-transform parameters for tf.image.transform that map each pixel of an
 * `outSize`² aligned crop to the input image. With rotate=false and scale=1 this is exactly
 * face-api's dlib alignment rectangle (side = eye-to-mouth distance / 0.45, centred at
 * 0.5 / 0.43 on the mean of the three reference points).
 */
export function alignmentTransform(landmarks68: Point2[], outSize: number, opts: AlignOptions): number[] {
  return alignmentTransformFromRefs(alignmentRefPoints(landmarks68), outSize, opts);
}

export interface RefPoints {
  /** Centre of the eye on the image's left (the subject's right eye). */
  leftEye: Point2;
  rightEye: Point2;
  mouth: Point2;
}

// MediaPipe face-mesh (468 points) contours: eye on the image's left, on the right, and lips.
const MESH_EYE_IMAGE_LEFT = [33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246];
const MESH_EYE_IMAGE_RIGHT = [263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466];
const MESH_LIPS = [
  61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185, 78, 95, 88, 178, 87, 14, 317,
  402, 318, 324, 308, 415, 310, 311, 312, 13, 82, 81, 80, 191,
];

/** The same reference points from Human's 468-point mesh. */
export function meshRefPoints(mesh: ArrayLike<ArrayLike<number>>): RefPoints {
  if (mesh.length < 468) throw new RangeError(`expected a 468-point mesh, got ${mesh.length}`);
  const pick = (idx: number[]) => mean(idx.map((i) => [mesh[i][0], mesh[i][1]] as Point2));
  return { leftEye: pick(MESH_EYE_IMAGE_LEFT), rightEye: pick(MESH_EYE_IMAGE_RIGHT), mouth: pick(MESH_LIPS) };
}

/** Point-wise mean of several estimates of the reference points. */
export function averageRefPoints(list: RefPoints[]): RefPoints {
  return {
    leftEye: mean(list.map((r) => r.leftEye)),
    rightEye: mean(list.map((r) => r.rightEye)),
    mouth: mean(list.map((r) => r.mouth)),
  };
}

export function alignmentTransformFromRefs(refs: RefPoints, outSize: number, opts: AlignOptions): number[] {
  const { leftEye, rightEye, mouth } = refs;
  const dist = (p: Point2) => Math.hypot(mouth[0] - p[0], mouth[1] - p[1]);
  const side = ((dist(leftEye) + dist(rightEye)) / 2 / 0.45) * opts.scale;
  const c = mean([leftEye, rightEye, mouth]);
  const theta = opts.rotate ? Math.atan2(rightEye[1] - leftEye[1], rightEye[0] - leftEye[0]) : 0;
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  const k = side / outSize;
  // Offsets of the crop's top-left corner from the reference centre, in the rotated frame.
  const ox = -0.5 * side;
  const oy = -0.43 * side;
  return [
    cos * k,
    -sin * k,
    c[0] + cos * ox - sin * oy,
    sin * k,
    cos * k,
    c[1] + sin * ox + cos * oy,
    0,
    0,
  ];
}

/** Unit-length copy (cosine similarity then equals the dot product). */
export function l2normalize(v: ArrayLike<number>): number[] {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  const n = Math.sqrt(s) || 1;
  return Array.from(v, (x) => x / n);
}
