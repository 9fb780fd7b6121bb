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
