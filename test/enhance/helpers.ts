// Synthetic test images with known properties (deterministic pseudo-random noise).
import type { RawRgb } from '../../src/enhance/raw.js';

export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** Standard normal samples (Box–Muller). */
export function gaussian(rand: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
}

/** A "scene": smooth gradients, a few discs and bars, colour (r,g,b) scaled by `gain`. */
export function scene(width: number, height: number, opts: { gain?: number; tint?: [number, number, number]; noise?: number; seed?: number } = {}): RawRgb {
  const gain = opts.gain ?? 1;
  const tint = opts.tint ?? [1, 1, 1];
  const g = gaussian(rng(opts.seed ?? 7));
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let v = 40 + 170 * (x / width) * 0.6 + 60 * (y / height);
      const dx = x - width * 0.35, dy = y - height * 0.5;
      if (dx * dx + dy * dy < (width * 0.15) ** 2) v = 225;
      if (x > width * 0.7 && x < width * 0.8) v = 20;
      if (Math.floor(x / 5) % 2 === 0 && y > height * 0.8) v = 200;
      for (let c = 0; c < 3; c++) {
        const base = v * tint[c] * gain + (opts.noise ? g() * opts.noise : 0);
        data[(y * width + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(base)));
      }
    }
  }
  return { data, width, height };
}

export function meanLuma(img: RawRgb): number {
  let s = 0;
  for (let j = 0; j < img.data.length; j += 3) s += 0.299 * img.data[j] + 0.587 * img.data[j + 1] + 0.114 * img.data[j + 2];
  return s / (img.width * img.height);
}
