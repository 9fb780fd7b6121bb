// Pure: applies a TonePlan (white balance, levels, gamma, S-curve, saturation) to RGB pixels.
// The per-channel steps are folded into one lookup table per channel.
import { boxMean } from './filters.js';
import type { TonePlan } from './plan.js';
import type { RawRgb } from './raw.js';

export function toneCurve(tone: TonePlan, channel: 0 | 1 | 2): Float32Array {
  const lut = new Float32Array(256);
  const gain = tone.gains[channel];
  const range = Math.max(1, tone.white - tone.black);
  for (let i = 0; i < 256; i++) {
    let v = (i * gain - tone.black) / range;
    v = v <= 0 ? 0 : v >= 1 ? 1 : v;
    v = Math.pow(v, tone.gamma);
    // S-curve: slope 1 + 2c at mid-grey, ends fixed, monotonic for |c| < 0.5.
    v = v - (tone.contrast * Math.sin(2 * Math.PI * v)) / Math.PI;
    lut[i] = v * 255;
  }
  return lut;
}

export function isIdentityTone(tone: TonePlan): boolean {
  return (
    tone.gains.every((g) => Math.abs(g - 1) < 1e-3) &&
    tone.black === 0 &&
    tone.white === 255 &&
    Math.abs(tone.gamma - 1) < 1e-3 &&
    tone.contrast === 0 &&
    Math.abs(tone.saturation - 1) < 1e-3 &&
    !tone.monochrome
  );
}

export function applyTone(img: RawRgb, tone: TonePlan): RawRgb {
  const luts = [toneCurve(tone, 0), toneCurve(tone, 1), toneCurve(tone, 2)];
  const src = img.data;
  const out = new Uint8Array(src.length);
  const sat = tone.monochrome ? 0 : tone.saturation;
  for (let j = 0; j < src.length; j += 3) {
    const r = luts[0][src[j]], g = luts[1][src[j + 1]], b = luts[2][src[j + 2]];
    const l = 0.299 * r + 0.587 * g + 0.114 * b;
    const rr = l + sat * (r - l), gg = l + sat * (g - l), bb = l + sat * (b - l);
    out[j] = rr <= 0 ? 0 : rr >= 255 ? 255 : Math.round(rr);
    out[j + 1] = gg <= 0 ? 0 : gg >= 255 ? 255 : Math.round(gg);
    out[j + 2] = bb <= 0 ? 0 : bb >= 255 ? 255 : Math.round(bb);
  }
  return { data: out, width: img.width, height: img.height };
}

/**
 * Local contrast: adds `amount` × (luma − its large-scale blur) to every channel, i.e. an unsharp
 * mask with a radius of tens of pixels. Box blurs (integral images) keep it O(pixels) at 2K.
 */
export function localContrast(img: RawRgb, amount: number, radius: number): RawRgb {
  const { width, height } = img;
  const n = width * height;
  const luma = new Float32Array(n);
  const d = img.data;
  for (let i = 0, j = 0; i < n; i++, j += 3) luma[i] = 0.299 * d[j] + 0.587 * d[j + 1] + 0.114 * d[j + 2];
  const r = Math.max(1, Math.round(radius / 2));
  const base = boxMean(boxMean(luma, width, height, r), width, height, r);
  const out = new Uint8Array(d.length);
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    const add = amount * (luma[i] - base[i]);
    for (let c = 0; c < 3; c++) {
      const v = d[j + c] + add;
      out[j + c] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
    }
  }
  return { data: out, width, height };
}
