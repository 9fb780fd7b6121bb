// Pure pieces of the pet pipeline: CenterNet output decoding (class filter + NMS), box
// geometry for crops, the HSV colour histogram, and ROI pooling of a feature map. No tensors,
// no I/O: the runtime (vision.ts) feeds them plain arrays.
import type { Box } from '../types.js';
import type { AnimalKind } from './types.js';

/** CenterNet's COCO class indices (0-based, as in its `detections` output). */
export const COCO_PERSON = 0;
export const COCO_CAT = 15;
export const COCO_DOG = 16;

export interface RawDetection {
  /** Box in the detector's input pixels. */
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  score: number;
  cls: number;
}

/** Rows of `tower_0/detections` ([x1, y1, x2, y2, score, class] each) → typed detections. */
export function parseDetections(rows: ArrayLike<number>, count: number): RawDetection[] {
  const out: RawDetection[] = [];
  for (let i = 0; i < count; i++) {
    const r = i * 6;
    const cls = rows[r + 5];
    if (!Number.isFinite(cls) || !Number.isFinite(rows[r + 4])) continue;
    out.push({ x1: rows[r], y1: rows[r + 1], x2: rows[r + 2], y2: rows[r + 3], score: rows[r + 4], cls: Math.round(cls) });
  }
  return out;
}

export function iou(a: RawDetection, b: RawDetection): number {
  const ix = Math.max(0, Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1));
  const iy = Math.max(0, Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1));
  const inter = ix * iy;
  const ua = (a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter;
  return ua > 0 ? inter / ua : 0;
}

/** Greedy non-maximum suppression over the given detections, best score first. */
export function nms(dets: RawDetection[], iouCut: number): RawDetection[] {
  const sorted = [...dets].sort((a, b) => b.score - a.score);
  const kept: RawDetection[] = [];
  for (const d of sorted) if (kept.every((k) => iou(k, d) <= iouCut)) kept.push(d);
  return kept;
}

export interface DetectOptions {
  /** Minimum class score for a cat or dog. */
  minAnimalScore: number;
  /** Minimum class score for a person. */
  minPersonScore: number;
  /** Overlap above which two animal boxes are one animal (cat and dog labels compete). */
  iou: number;
}

/**
 * Cats and dogs, and people, from raw detections. Cat and dog boxes are suppressed across the
 * two classes: CenterNet often labels one animal both ways, and one animal must be one subject.
 */
export function selectDetections(dets: RawDetection[], opts: DetectOptions) {
  const pets = dets.filter((d) => (d.cls === COCO_CAT || d.cls === COCO_DOG) && d.x2 > d.x1 && d.y2 > d.y1);
  const animals = nms(
    pets.filter((d) => d.score >= opts.minAnimalScore),
    opts.iou,
  ).map((d) => ({ kind: (d.cls === COCO_CAT ? 'cat' : 'dog') as AnimalKind, det: d, speciesScores: speciesScores(d, pets, opts.iou) }));
  const persons = nms(
    dets.filter((d) => d.cls === COCO_PERSON && d.score >= opts.minPersonScore && d.x2 > d.x1 && d.y2 > d.y1),
    opts.iou,
  );
  return { animals, persons };
}

/**
 * Both species' evidence for one kept box: the best cat and the best dog score among the raw
 * detections on the same animal (overlap above `iouCut`, any score), i.e. what NMS across the
 * two labels would otherwise throw away. A profile's species is decided from these, summed
 * over its photos (subject.ts), not from one label per photo.
 */
export function speciesScores(kept: RawDetection, pets: readonly RawDetection[], iouCut: number): Record<AnimalKind, number> {
  const out: Record<AnimalKind, number> = { cat: 0, dog: 0 };
  for (const d of pets) {
    if (d !== kept && iou(d, kept) <= iouCut) continue;
    const k: AnimalKind = d.cls === COCO_CAT ? 'cat' : 'dog';
    out[k] = Math.max(out[k], Math.round(d.score * 1e4) / 1e4);
  }
  return out;
}

/** Detector box (input pixels of a square-padded image scaled by `scale`) → clipped image Box. */
export function toImageBox(d: RawDetection, scale: number, width: number, height: number): Box | null {
  const x1 = Math.max(0, d.x1 / scale);
  const y1 = Math.max(0, d.y1 / scale);
  const x2 = Math.min(width, d.x2 / scale);
  const y2 = Math.min(height, d.y2 / scale);
  if (x2 - x1 < 1 || y2 - y1 < 1) return null;
  return [x1, y1, x2 - x1, y2 - y1];
}

/** The box grown by `margin` of its size on each side and made square, clipped to the image. */
export function squareCrop([x, y, w, h]: Box, margin: number, width: number, height: number): Box {
  const side = Math.min(Math.max(w, h) * (1 + 2 * margin), Math.max(width, height));
  const cx = x + w / 2;
  const cy = y + h / 2;
  const x1 = Math.max(0, cx - side / 2);
  const y1 = Math.max(0, cy - side / 2);
  const x2 = Math.min(width, cx + side / 2);
  const y2 = Math.min(height, cy + side / 2);
  return [x1, y1, x2 - x1, y2 - y1];
}

export const HSV_BINS = { h: 8, s: 4, v: 4 } as const;

/**
 * Colour histogram (8 hue × 4 saturation × 4 value bins, soft on hue) of the central part of
 * an RGB crop, square-rooted so a few dominant colours do not swamp the rest (Hellinger).
 * Coat colour is the strongest cue a frozen model has for telling two pets apart.
 */
export function hsvHistogram(rgb: ArrayLike<number>, width: number, height: number, centre = 0.8): Float32Array {
  const { h: HB, s: SB, v: VB } = HSV_BINS;
  const hist = new Float32Array(HB * SB * VB);
  const mx = Math.round((width * (1 - centre)) / 2);
  const my = Math.round((height * (1 - centre)) / 2);
  let total = 0;
  for (let y = my; y < height - my; y++) {
    for (let x = mx; x < width - mx; x++) {
      const p = (y * width + x) * 3;
      const r = rgb[p] / 255;
      const g = rgb[p + 1] / 255;
      const b = rgb[p + 2] / 255;
      const max = Math.max(r, g, b);
      const min = Math.min(r, g, b);
      const d = max - min;
      let hue = 0;
      if (d > 0) {
        if (max === r) hue = ((g - b) / d + 6) % 6;
        else if (max === g) hue = (b - r) / d + 2;
        else hue = (r - g) / d + 4;
      }
      const sat = max > 0 ? d / max : 0;
      const si = Math.min(SB - 1, Math.floor(sat * SB));
      const vi = Math.min(VB - 1, Math.floor(max * VB));
      // Hue is circular and noisy: split each pixel between its two nearest hue bins.
      const hf = (hue / 6) * HB - 0.5;
      const h0 = Math.floor(hf);
      const t = hf - h0;
      const a = (((h0 % HB) + HB) % HB) * SB * VB + si * VB + vi;
      const c = ((((h0 + 1) % HB) + HB) % HB) * SB * VB + si * VB + vi;
      hist[a] += 1 - t;
      hist[c] += t;
      total++;
    }
  }
  for (let i = 0; i < hist.length; i++) hist[i] = total > 0 ? Math.sqrt(hist[i] / total) : 0;
  return hist;
}

/**
 * Average of a [H, W, C] feature map over the cells a box covers (box in map-relative units
 * 0..1), at least one cell. Pools the detector's own backbone over the animal.
 */
export function roiAverage(map: ArrayLike<number>, H: number, W: number, C: number, box: { x1: number; y1: number; x2: number; y2: number }): Float32Array {
  const c0 = Math.max(0, Math.min(W - 1, Math.floor(box.x1 * W)));
  const r0 = Math.max(0, Math.min(H - 1, Math.floor(box.y1 * H)));
  const c1 = Math.max(c0 + 1, Math.min(W, Math.ceil(box.x2 * W)));
  const r1 = Math.max(r0 + 1, Math.min(H, Math.ceil(box.y2 * H)));
  const out = new Float32Array(C);
  for (let r = r0; r < r1; r++) {
    for (let c = c0; c < c1; c++) {
      const o = (r * W + c) * C;
      for (let k = 0; k < C; k++) out[k] += map[o + k];
    }
  }
  const n = (r1 - r0) * (c1 - c0);
  for (let k = 0; k < C; k++) out[k] /= n;
  return out;
}
