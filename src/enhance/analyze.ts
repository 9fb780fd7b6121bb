// Pure measurements of a photo's defects, on raw RGB pixels. Every number here drives a
// correction in plan.ts, so each is chosen to be independent of the others where possible
// (e.g. the noise estimate looks only at flat blocks so texture does not read as noise).
import { faceColour, type RegionColour } from './colour.js';
import { gaussianBlurXY } from './filters.js';
import { lumaPlane, type RawRgb } from './raw.js';

export interface ExposureStats {
  /** Mean and median luma, 0..255. */
  mean: number;
  median: number;
  /** 0.5th and 99.5th luma percentiles, 0..255 (robust black and white points). */
  low: number;
  high: number;
  /** Fractions of pixels with luma ≤ 2 and ≥ 253. */
  clippedDark: number;
  clippedBright: number;
  /** 256-bin luma histogram (counts). */
  histogram: Uint32Array;
}

export interface ColourCast {
  /** Channel means over mid-tone pixels relative to their grey level (1 = neutral). */
  r: number;
  g: number;
  b: number;
  /** Warm/cool axis: log(R/B) of those means (> 0 warm, < 0 blue). */
  warmth: number;
  /** Green/magenta axis: log(G / sqrt(R·B)) (> 0 green cast). */
  tint: number;
}

export interface ImageStats {
  width: number;
  height: number;
  exposure: ExposureStats;
  cast: ColourCast;
  /** Estimated std-dev of additive noise in luma units (0..255), from flat regions. */
  noise: number;
  /** Estimated Gaussian blur radius (sigma, pixels) of the strongest edges; ~0.7–1.2 for sharp photos. */
  blur: number;
  /** The same along rows (x) and columns (y): they differ for motion blur. */
  blurX: number;
  blurY: number;
  /** Mean absolute Laplacian of luma normalised by luma std-dev (higher = crisper). */
  sharpness: number;
  /** Excess gradient on the 8-pixel JPEG grid relative to elsewhere (0 = none, > 0.15 visible). */
  blockiness: number;
  /** Face boxes [x, y, w, h] supplied by the caller (the identity engine), if any. */
  faces: Array<[number, number, number, number]>;
  /** Skin colour of the largest face (CIELAB, ITA°, luma), when a face box was given. */
  faceTone: RegionColour | null;
}

function percentileFromHistogram(hist: Uint32Array, total: number, p: number): number {
  const target = p * total;
  let acc = 0;
  for (let i = 0; i < hist.length; i++) {
    acc += hist[i];
    if (acc >= target) return i;
  }
  return hist.length - 1;
}

export function exposureStats(luma: Float32Array): ExposureStats {
  const hist = new Uint32Array(256);
  let sum = 0;
  for (let i = 0; i < luma.length; i++) {
    const v = luma[i];
    hist[v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v)]++;
    sum += v;
  }
  const n = luma.length;
  let dark = 0, bright = 0;
  for (let i = 0; i <= 2; i++) dark += hist[i];
  for (let i = 253; i <= 255; i++) bright += hist[i];
  return {
    mean: sum / n,
    median: percentileFromHistogram(hist, n, 0.5),
    low: percentileFromHistogram(hist, n, 0.005),
    high: percentileFromHistogram(hist, n, 0.995),
    clippedDark: dark / n,
    clippedBright: bright / n,
    histogram: hist,
  };
}

type Box = [number, number, number, number];

/** Fraction of the frame that must lie outside the faces for a grey-world estimate to mean anything. */
const MIN_SCENE_FRACTION = 0.25;

/**
 * Grey-world over mid-tones (clipped and near-black pixels carry no colour information). Faces
 * (their boxes widened for hair and neck) are left out: skin is not grey, and counting it reads
 * every skin tone as a colour cast. When faces fill the frame there is no evidence: neutral.
 */
export function colourCast(img: RawRgb, luma: Float32Array, faces: Box[] = []): ColourCast {
  let sr = 0, sg = 0, sb = 0, count = 0;
  const d = img.data;
  const w = img.width;
  const mask = faces.length ? new Uint8Array(luma.length) : null;
  if (mask) {
    for (const [x, y, bw, bh] of faces) {
      const x0 = Math.max(0, Math.floor(x - bw * 0.25)), x1 = Math.min(w, Math.ceil(x + bw * 1.25));
      const y0 = Math.max(0, Math.floor(y - bh * 0.3)), y1 = Math.min(img.height, Math.ceil(y + bh * 1.5));
      for (let yy = y0; yy < y1; yy++) mask.fill(1, yy * w + x0, yy * w + x1);
    }
  }
  let outside = 0;
  for (let i = 0, j = 0; i < luma.length; i++, j += 3) {
    if (mask && mask[i]) continue;
    outside++;
    const l = luma[i];
    if (l < 24 || l > 240) continue;
    sr += d[j];
    sg += d[j + 1];
    sb += d[j + 2];
    count++;
  }
  if (count === 0 || outside < luma.length * MIN_SCENE_FRACTION) return { r: 1, g: 1, b: 1, warmth: 0, tint: 0 };
  const mr = sr / count + 1, mg = sg / count + 1, mb = sb / count + 1;
  const grey = (mr + mg + mb) / 3;
  return {
    r: mr / grey,
    g: mg / grey,
    b: mb / grey,
    warmth: Math.log(mr / mb),
    tint: Math.log(mg / Math.sqrt(mr * mb)),
  };
}

/**
 * Immerkær's noise estimator on 8×8 blocks; the 10th-percentile block is taken so that only
 * flat areas (sky, walls, skin) count and real texture does not inflate the estimate.
 */
export function estimateNoise(luma: Float32Array, width: number, height: number): number {
  const B = 8;
  const blocks: number[] = [];
  for (let by = 1; by + B < height - 1; by += B) {
    for (let bx = 1; bx + B < width - 1; bx += B) {
      let acc = 0;
      for (let y = by; y < by + B; y++) {
        const row = y * width;
        for (let x = bx; x < bx + B; x++) {
          const i = row + x;
          const v =
            luma[i - width - 1] - 2 * luma[i - width] + luma[i - width + 1] -
            2 * luma[i - 1] + 4 * luma[i] - 2 * luma[i + 1] +
            luma[i + width - 1] - 2 * luma[i + width] + luma[i + width + 1];
          acc += Math.abs(v);
        }
      }
      blocks.push(acc / (B * B));
    }
  }
  if (blocks.length === 0) return 0;
  blocks.sort((a, b) => a - b);
  const q = blocks[Math.floor(blocks.length * 0.1)];
  // E|M * n| = 6 · sqrt(2/π) · σ for Gaussian n (the mask's L2 norm is 6).
  return (q * Math.sqrt(Math.PI / 2)) / 6;
}

/** |∂/∂x| (axis 'x'), |∂/∂y| (axis 'y') or the gradient magnitude (central differences). */
function gradient(p: Float32Array, width: number, height: number, axis: 'x' | 'y' | 'both'): Float32Array {
  const out = new Float32Array(p.length);
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const gx = axis === 'y' ? 0 : p[i + 1] - p[i - 1];
      const gy = axis === 'x' ? 0 : p[i + width] - p[i - width];
      out[i] = Math.sqrt(gx * gx + gy * gy);
    }
  }
  return out;
}

function topMean(v: Float32Array, fraction: number): number {
  // Mean of the largest `fraction` of values, via a 1024-bin histogram (avoids a full sort).
  let max = 0;
  for (let i = 0; i < v.length; i++) if (v[i] > max) max = v[i];
  if (max === 0) return 0;
  const bins = new Uint32Array(1024);
  for (let i = 0; i < v.length; i++) bins[Math.min(1023, Math.floor((v[i] / max) * 1023))]++;
  let want = Math.max(1, Math.floor(v.length * fraction));
  let cut = 1023;
  for (let acc = 0; cut > 0; cut--) {
    acc += bins[cut];
    if (acc >= want) break;
  }
  const threshold = (cut / 1023) * max;
  let sum = 0, n = 0;
  for (let i = 0; i < v.length; i++) if (v[i] >= threshold) { sum += v[i]; n++; }
  return sum / n;
}

/**
 * Blur radius from how much a known extra blur weakens the strongest edges: a Gaussian edge of
 * width s has peak gradient ∝ 1/s, so g0/g1 = sqrt(s² + t²)/s for an added blur t. Per axis
 * ('x' blurs and differentiates along rows only) so directional (motion) blur shows up.
 */
export function estimateBlur(luma: Float32Array, width: number, height: number, axis: 'x' | 'y' | 'both' = 'both'): number {
  const t = 1.5;
  const g0 = topMean(gradient(luma, width, height, axis), 0.01);
  const blurred = gaussianBlurXY(luma, width, height, axis === 'y' ? 0 : t, axis === 'x' ? 0 : t);
  const g1 = topMean(gradient(blurred, width, height, axis), 0.01);
  if (g1 <= 0 || g0 <= g1 * 1.0001) return 8;
  const ratio = g0 / g1;
  return Math.min(8, t / Math.sqrt(ratio * ratio - 1));
}

export function estimateSharpness(luma: Float32Array, width: number, height: number): number {
  let sum = 0, sumSq = 0, lap = 0, n = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const v = luma[i];
      sum += v;
      sumSq += v * v;
      lap += Math.abs(4 * v - luma[i - 1] - luma[i + 1] - luma[i - width] - luma[i + width]);
      n++;
    }
  }
  if (n === 0) return 0;
  const sd = Math.sqrt(Math.max(0, sumSq / n - (sum / n) ** 2));
  return sd < 1e-6 ? 0 : lap / n / sd;
}

/** Ratio of mean step across 8-px block boundaries to mean step elsewhere, minus 1. */
export function estimateBlockiness(luma: Float32Array, width: number, height: number): number {
  let edge = 0, edgeN = 0, inner = 0, innerN = 0;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width - 1; x++) {
      const d = Math.abs(luma[row + x + 1] - luma[row + x]);
      if (x % 8 === 7) { edge += d; edgeN++; } else { inner += d; innerN++; }
    }
  }
  for (let y = 0; y < height - 1; y++) {
    const row = y * width;
    const isEdge = y % 8 === 7;
    for (let x = 0; x < width; x++) {
      const d = Math.abs(luma[row + width + x] - luma[row + x]);
      if (isEdge) { edge += d; edgeN++; } else { inner += d; innerN++; }
    }
  }
  if (edgeN === 0 || innerN === 0 || inner === 0) return 0;
  return Math.max(0, edge / edgeN / (inner / innerN) - 1);
}

export function analyzeImage(img: RawRgb, faces: Array<[number, number, number, number]> = []): ImageStats {
  const luma = lumaPlane(img);
  const { width, height } = img;
  return {
    width,
    height,
    exposure: exposureStats(luma),
    cast: colourCast(img, luma, faces),
    noise: estimateNoise(luma, width, height),
    blur: estimateBlur(luma, width, height),
    blurX: estimateBlur(luma, width, height, 'x'),
    blurY: estimateBlur(luma, width, height, 'y'),
    sharpness: estimateSharpness(luma, width, height),
    blockiness: estimateBlockiness(luma, width, height),
    faces,
    faceTone: largestFaceTone(img, faces),
  };
}

function largestFaceTone(img: RawRgb, faces: Box[]) {
  const box = [...faces].sort((a, b) => b[2] * b[3] - a[2] * a[3])[0];
  return box ? faceColour(img, box) : null;
}
