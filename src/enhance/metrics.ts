// Pure image-quality metrics for the benchmark: PSNR over RGB and SSIM on luma with an 11×11
// Gaussian window (σ = 1.5, Wang et al. 2004 constants).
import { gaussianBlur } from './filters.js';
import { lumaPlane, type RawRgb } from './raw.js';

function sameSize(a: RawRgb, b: RawRgb): void {
  if (a.width !== b.width || a.height !== b.height) throw new Error(`size mismatch ${a.width}x${a.height} vs ${b.width}x${b.height}`);
}

/** PSNR in dB over all RGB samples (Infinity for identical images). */
export function psnr(a: RawRgb, b: RawRgb): number {
  sameSize(a, b);
  let se = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = a.data[i] - b.data[i];
    se += d * d;
  }
  const mse = se / a.data.length;
  return mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse);
}

/** Mean SSIM of the luma planes. */
export function ssim(a: RawRgb, b: RawRgb): number {
  sameSize(a, b);
  const { width: w, height: h } = a;
  const x = lumaPlane(a), y = lumaPlane(b);
  const n = x.length;
  const xx = new Float32Array(n), yy = new Float32Array(n), xy = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    xx[i] = x[i] * x[i];
    yy[i] = y[i] * y[i];
    xy[i] = x[i] * y[i];
  }
  const s = 1.5;
  const mx = gaussianBlur(x, w, h, s), my = gaussianBlur(y, w, h, s);
  const sxx = gaussianBlur(xx, w, h, s), syy = gaussianBlur(yy, w, h, s), sxy = gaussianBlur(xy, w, h, s);
  const C1 = (0.01 * 255) ** 2, C2 = (0.03 * 255) ** 2;
  // Skip a 5-px border where the window is truncated.
  let sum = 0, count = 0;
  for (let yy0 = 5; yy0 < h - 5; yy0++) {
    for (let xx0 = 5; xx0 < w - 5; xx0++) {
      const i = yy0 * w + xx0;
      const vx = sxx[i] - mx[i] * mx[i], vy = syy[i] - my[i] * my[i], cxy = sxy[i] - mx[i] * my[i];
      sum += ((2 * mx[i] * my[i] + C1) * (2 * cxy + C2)) / ((mx[i] * mx[i] + my[i] * my[i] + C1) * (vx + vy + C2));
      count++;
    }
  }
  return count ? sum / count : 1;
}
