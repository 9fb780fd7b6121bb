// Pure float-plane filters used by analysis and correction: Gaussian blur, box mean,
// the self-guided (edge-preserving) filter and Landweber deconvolution.

export function gaussianKernel(sigma: number): Float32Array {
  const radius = Math.max(1, Math.ceil(sigma * 3));
  const k = new Float32Array(radius * 2 + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) {
    const v = Math.exp(-(i * i) / (2 * sigma * sigma));
    k[i + radius] = v;
    sum += v;
  }
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  return k;
}

/** Separable Gaussian blur with clamped edges. */
export function gaussianBlur(src: Float32Array, width: number, height: number, sigma: number): Float32Array {
  return gaussianBlurXY(src, width, height, sigma, sigma);
}

/** Anisotropic separable Gaussian blur (sigmaX along rows, sigmaY along columns; 0 = none). */
export function gaussianBlurXY(src: Float32Array, width: number, height: number, sigmaX: number, sigmaY: number): Float32Array {
  const out = convolveSeparable(src, width, height, sigmaX > 0 ? gaussianKernel(sigmaX) : null, sigmaY > 0 ? gaussianKernel(sigmaY) : null);
  return out === src ? src.slice() : out; // always a new array, as callers may write to it
}

/** Mean over a (2r+1)² window (clamped at the borders), via an integral image. */
export function boxMean(src: Float32Array, width: number, height: number, r: number): Float32Array {
  const W = width + 1;
  const integral = new Float64Array(W * (height + 1));
  for (let y = 0; y < height; y++) {
    let rowSum = 0;
    for (let x = 0; x < width; x++) {
      rowSum += src[y * width + x];
      integral[(y + 1) * W + x + 1] = integral[y * W + x + 1] + rowSum;
    }
  }
  const out = new Float32Array(src.length);
  for (let y = 0; y < height; y++) {
    const y0 = Math.max(0, y - r), y1 = Math.min(height, y + r + 1);
    for (let x = 0; x < width; x++) {
      const x0 = Math.max(0, x - r), x1 = Math.min(width, x + r + 1);
      const s = integral[y1 * W + x1] - integral[y0 * W + x1] - integral[y1 * W + x0] + integral[y0 * W + x0];
      out[y * width + x] = s / ((y1 - y0) * (x1 - x0));
    }
  }
  return out;
}

/**
 * Self-guided filter (He et al.): smooths where local variance is below `eps` (noise, JPEG
 * blocks) and keeps edges whose variance is well above it. eps is a variance in 0..255² units.
 */
export function guidedFilter(src: Float32Array, width: number, height: number, r: number, eps: number): Float32Array {
  const n = src.length;
  const sq = new Float32Array(n);
  for (let i = 0; i < n; i++) sq[i] = src[i] * src[i];
  const mean = boxMean(src, width, height, r);
  const meanSq = boxMean(sq, width, height, r);
  const a = new Float32Array(n);
  const b = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = Math.max(0, meanSq[i] - mean[i] * mean[i]);
    a[i] = v / (v + eps);
    b[i] = mean[i] - a[i] * mean[i];
  }
  const ma = boxMean(a, width, height, r);
  const mb = boxMean(b, width, height, r);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = ma[i] * src[i] + mb[i];
  return out;
}

/** A normalised box kernel of odd length (a straight-line motion blur along one axis). */
export function boxKernel(length: number): Float32Array {
  const n = Math.max(1, Math.round(length) | 1);
  return new Float32Array(n).fill(1 / n);
}

/** Separable convolution with clamped edges; a null kernel skips that axis. Kernels are symmetric. */
export function convolveSeparable(
  src: Float32Array,
  width: number,
  height: number,
  kx: Float32Array | null,
  ky: Float32Array | null,
): Float32Array {
  let cur = src;
  if (kx && kx.length > 1) {
    const r = (kx.length - 1) / 2;
    const out = new Float32Array(src.length);
    for (let y = 0; y < height; y++) {
      const row = y * width;
      for (let x = 0; x < width; x++) {
        let acc = 0;
        for (let i = -r; i <= r; i++) {
          const xx = x + i < 0 ? 0 : x + i >= width ? width - 1 : x + i;
          acc += kx[i + r] * cur[row + xx];
        }
        out[row + x] = acc;
      }
    }
    cur = out;
  }
  if (ky && ky.length > 1) {
    const r = (ky.length - 1) / 2;
    const out = new Float32Array(src.length);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let acc = 0;
        for (let i = -r; i <= r; i++) {
          const yy = y + i < 0 ? 0 : y + i >= height ? height - 1 : y + i;
          acc += ky[i + r] * cur[yy * width + x];
        }
        out[y * width + x] = acc;
      }
    }
    cur = out;
  }
  return cur === src ? src.slice() : cur;
}

/**
 * Projected Landweber deconvolution for a separable symmetric PSF: est += β·Hᵀ(observed − H·est),
 * clamped to 0..255. Unlike Van Cittert it converges for PSFs whose spectrum goes negative (box
 * motion blur); few iterations act as regularisation.
 */
export function deconvolveLandweber(
  src: Float32Array,
  width: number,
  height: number,
  kx: Float32Array | null,
  ky: Float32Array | null,
  iterations: number,
  beta = 1,
): Float32Array {
  const est = src.slice();
  const res = new Float32Array(src.length);
  for (let it = 0; it < iterations; it++) {
    const re = convolveSeparable(est, width, height, kx, ky);
    for (let i = 0; i < res.length; i++) res[i] = src[i] - re[i];
    const back = convolveSeparable(res, width, height, kx, ky);
    for (let i = 0; i < est.length; i++) {
      const v = est[i] + beta * back[i];
      est[i] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return est;
}
