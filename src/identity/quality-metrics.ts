// Per-face image measurements (pure, no I/O). The screening decisions that use them live in
// screen.ts; these only measure. Inputs are row-major RGB bytes of a face crop that the
// caller already resized to a fixed size, so numbers are comparable across face sizes.

/** Side of the square crop the metrics are computed on. */
export const QUALITY_CROP_SIZE = 128;

export interface CropMetrics {
  /** Variance of the 4-neighbour Laplacian of the luma (higher = sharper). */
  sharpness: number;
  /** Mean luma 0..255. */
  brightness: number;
  /** Fraction of pixels with luma <= 5 or >= 250. */
  clipped: number;
}

/** Rec. 601 luma of an RGB (3 channels) or RGBA (4) pixel buffer. */
export function toLuma(pixels: ArrayLike<number>, width: number, height: number, channels = 3): Float32Array {
  if (pixels.length < width * height * channels) throw new RangeError('pixel buffer smaller than width*height*channels');
  const out = new Float32Array(width * height);
  for (let i = 0, p = 0; i < out.length; i++, p += channels) {
    out[i] = 0.299 * pixels[p] + 0.587 * pixels[p + 1] + 0.114 * pixels[p + 2];
  }
  return out;
}

/** Variance of the discrete Laplacian over the interior pixels. Blur lowers it sharply. */
export function laplacianVariance(luma: ArrayLike<number>, width: number, height: number): number {
  if (width < 3 || height < 3) return 0;
  let sum = 0;
  let sumSq = 0;
  let n = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const v = luma[i - width] + luma[i + width] + luma[i - 1] + luma[i + 1] - 4 * luma[i];
      sum += v;
      sumSq += v * v;
      n++;
    }
  }
  const mean = sum / n;
  return sumSq / n - mean * mean;
}

export function brightnessAndClipping(luma: ArrayLike<number>): { brightness: number; clipped: number } {
  if (luma.length === 0) return { brightness: 0, clipped: 0 };
  let sum = 0;
  let clipped = 0;
  for (let i = 0; i < luma.length; i++) {
    const v = luma[i];
    sum += v;
    if (v <= 5 || v >= 250) clipped++;
  }
  return { brightness: sum / luma.length, clipped: clipped / luma.length };
}

export function cropMetrics(rgb: ArrayLike<number>, width: number, height: number, channels = 3): CropMetrics {
  const luma = toLuma(rgb, width, height, channels);
  return { sharpness: laplacianVariance(luma, width, height), ...brightnessAndClipping(luma) };
}

// ---------------------------------------------------------------------------------------------
// Blur in pixels, judged at the face's own size (issue #8). The Laplacian variance above is
// taken on a crop resized to 128 px, so a small face is upsampled and any small face reads as
// soft. The edge-width estimate below instead works on the face as it was photographed, and
// only downscales a large face to a reference size: blur is judged as it shows on a face of at
// most that size, never on an upsampled copy.

/** Bump when the blur measurement changes, so cached analyses are recomputed. */
export const BLUR_METRIC_VERSION = 1;

/**
 * Longer face side at which blur is judged. Larger faces are first area-downscaled to it (a
 * 2 px blur on a 600 px face looks sharp at 256 px, and is harmless for a likeness); smaller
 * faces are measured at their own pixels.
 */
export const BLUR_REFERENCE_PX = 256;

/** Extra Gaussian blur (px) whose weakening of the strongest edges reveals the existing blur. */
const PROBE_SIGMA = 1.5;
/** Upper bound of the estimate: beyond this the probe no longer resolves it. */
export const MAX_BLUR_PX = 8;

export interface Plane {
  luma: Float32Array;
  width: number;
  height: number;
}

/** Luma of the pixels inside `box` ([x, y, w, h], clipped to the image), at native resolution. */
export function lumaRegion(
  rgb: ArrayLike<number>,
  W: number,
  H: number,
  box: readonly [number, number, number, number],
  channels = 3,
): Plane {
  const x0 = Math.max(0, Math.floor(box[0]));
  const y0 = Math.max(0, Math.floor(box[1]));
  const x1 = Math.min(W, Math.ceil(box[0] + box[2]));
  const y1 = Math.min(H, Math.ceil(box[1] + box[3]));
  const width = Math.max(0, x1 - x0);
  const height = Math.max(0, y1 - y0);
  const luma = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = ((y + y0) * W + x + x0) * channels;
      luma[y * width + x] = 0.299 * rgb[p] + 0.587 * rgb[p + 1] + 0.114 * rgb[p + 2];
    }
  }
  return { luma, width, height };
}

/**
 * Area-average downscale by `factor` (< 1): each output pixel is the mean of the source area
 * it covers, so nothing aliases (aliasing would fake sharp edges).
 */
export function downscaleArea(src: Plane, factor: number): Plane {
  if (factor >= 1) return src;
  const width = Math.max(1, Math.round(src.width * factor));
  const height = Math.max(1, Math.round(src.height * factor));
  const sx = src.width / width;
  const sy = src.height / height;
  const luma = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const fy0 = y * sy, fy1 = fy0 + sy;
    for (let x = 0; x < width; x++) {
      const fx0 = x * sx, fx1 = fx0 + sx;
      let sum = 0, area = 0;
      for (let yy = Math.floor(fy0); yy < Math.min(src.height, Math.ceil(fy1)); yy++) {
        const wy = Math.min(fy1, yy + 1) - Math.max(fy0, yy);
        for (let xx = Math.floor(fx0); xx < Math.min(src.width, Math.ceil(fx1)); xx++) {
          const w = wy * (Math.min(fx1, xx + 1) - Math.max(fx0, xx));
          sum += w * src.luma[yy * src.width + xx];
          area += w;
        }
      }
      luma[y * width + x] = area > 0 ? sum / area : 0;
    }
  }
  return { luma, width, height };
}

/** The four directions blur is measured along: rows, columns and both diagonals (integer steps). */
const DIRECTIONS: ReadonlyArray<readonly [number, number]> = [
  [1, 0],
  [0, 1],
  [1, 1],
  [1, -1],
];

/** 1-D Gaussian blur along the integer step (dx, dy), clamped at the borders. */
function blurAlong(p: Plane, dx: number, dy: number, sigmaSteps: number): Float32Array {
  const r = Math.max(1, Math.ceil(3 * sigmaSteps));
  const k = new Float32Array(2 * r + 1);
  let ks = 0;
  for (let i = -r; i <= r; i++) ks += k[i + r] = Math.exp(-(i * i) / (2 * sigmaSteps * sigmaSteps));
  const { luma, width, height } = p;
  const out = new Float32Array(luma.length);
  const n = 2 * r + 1;
  const step = dy * width + dx;
  // Pixels whose whole kernel lies inside the plane skip the clamping (most of the cost per
  // face); the sum runs in the same order either way, so the result is bit-identical.
  const rx = r * Math.abs(dx);
  const ry = r * Math.abs(dy);
  const clamped = (x: number, y: number) => {
    let s = 0;
    for (let i = -r; i <= r; i++) {
      const xx = Math.min(width - 1, Math.max(0, x + i * dx));
      const yy = Math.min(height - 1, Math.max(0, y + i * dy));
      s += k[i + r] * luma[yy * width + xx];
    }
    return s / ks;
  };
  for (let y = 0; y < height; y++) {
    const rowInside = y - ry >= 0 && y + ry <= height - 1;
    const x0 = rowInside ? Math.min(width, rx) : width;
    const x1 = rowInside ? Math.max(x0, width - rx) : width;
    for (let x = 0; x < x0; x++) out[y * width + x] = clamped(x, y);
    for (let x = x0, c = y * width + x0 - r * step; x < x1; x++, c++) {
      let s = 0;
      for (let i = 0, j = c; i < n; i++, j += step) s += k[i] * luma[j];
      out[y * width + x] = s / ks;
    }
    for (let x = x1; x < width; x++) out[y * width + x] = clamped(x, y);
  }
  return out;
}

/** |p(x+d) − p(x−d)| at interior pixels (2 px away from the border, so the blur's clamping is unseen). */
function gradientAlong(luma: Float32Array, width: number, height: number, dx: number, dy: number): Float32Array {
  const out = new Float32Array(Math.max(0, width - 4) * Math.max(0, height - 4));
  const d = dy * width + dx;
  let k = 0;
  for (let y = 2; y < height - 2; y++) {
    for (let x = 2, i = y * width + 2; x < width - 2; x++, i++) out[k++] = Math.abs(luma[i + d] - luma[i - d]);
  }
  return out;
}

/**
 * Mean of the largest `fraction` of the values (at least `min` of them). A 1024-bin histogram
 * finds the cut in linear time (a sort per direction was most of the cost per face); the bin
 * holding the cut contributes only as many values as are still needed, at their mean.
 */
function topMean(v: Float32Array, fraction: number, min = 16): number {
  if (v.length === 0) return 0;
  const want = Math.min(v.length, Math.max(min, Math.floor(v.length * fraction)));
  let max = 0;
  for (let i = 0; i < v.length; i++) if (v[i] > max) max = v[i];
  if (max === 0) return 0;
  const B = 1024;
  const count = new Uint32Array(B);
  const sum = new Float64Array(B);
  const scale = (B - 1) / max;
  for (let i = 0; i < v.length; i++) {
    const b = Math.floor(v[i] * scale);
    count[b]++;
    sum[b] += v[i];
  }
  let n = 0;
  let s = 0;
  for (let b = B - 1; b >= 0 && n < want; b--) {
    const take = Math.min(count[b], want - n);
    if (take > 0) s += (sum[b] / count[b]) * take;
    n += take;
  }
  return s / n;
}

/**
 * Blur (Gaussian sigma, pixels) of the strongest edges along one direction. A Gaussian edge of
 * width s has a peak gradient ∝ 1/s, so a probe blur t lowers it by g0/g1 = sqrt(s² + t²)/s
 * (the enhancer's estimator, src/enhance/analyze.ts, here along diagonals too). The strongest
 * 1% of gradients are used: those are the edges across this direction.
 */
export function directionalBlur(p: Plane, dx: number, dy: number): number {
  if (p.width < 8 || p.height < 8) return MAX_BLUR_PX;
  const step = Math.hypot(dx, dy);
  const g0 = topMean(gradientAlong(p.luma, p.width, p.height, dx, dy), 0.01);
  const g1 = topMean(gradientAlong(blurAlong(p, dx, dy, PROBE_SIGMA / step), p.width, p.height, dx, dy), 0.01);
  if (g1 <= 0 || g0 <= g1 * 1.0001) return MAX_BLUR_PX;
  const ratio = g0 / g1;
  return Math.min(MAX_BLUR_PX, PROBE_SIGMA / Math.sqrt(ratio * ratio - 1));
}

/**
 * Blur of a face in pixels at its judged size (≤ BLUR_REFERENCE_PX): the worst of the four
 * directions, so motion blur (one direction) counts as much as defocus (all of them).
 */
export function faceBlur(
  rgb: ArrayLike<number>,
  W: number,
  H: number,
  box: readonly [number, number, number, number],
  channels = 3,
): number {
  const region = lumaRegion(rgb, W, H, box, channels);
  const side = Math.max(region.width, region.height);
  const plane = side > BLUR_REFERENCE_PX ? downscaleArea(region, BLUR_REFERENCE_PX / side) : region;
  return Math.max(...DIRECTIONS.map(([dx, dy]) => directionalBlur(plane, dx, dy)));
}
