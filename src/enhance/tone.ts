// Pure: applies a TonePlan (white balance, levels, lightness gamma, S-curve, saturation) to RGB
// pixels. Gains and levels are per-channel lookup tables; the gamma acts on CIELAB lightness
// through a uniform scale of linear light, so brightening or darkening never moves hue.
import { labToLinear, linearToLab } from './colour.js';
import { boxMean } from './filters.js';
import type { TonePlan } from './plan.js';
import type { RawRgb } from './raw.js';

/** Per-channel white balance and levels, 0..255 in and out (no gamma, no S-curve). */
export function toneCurve(tone: TonePlan, channel: 0 | 1 | 2): Float32Array {
  const lut = new Float32Array(256);
  const gain = tone.gains[channel];
  const range = Math.max(1, tone.white - tone.black);
  for (let i = 0; i < 256; i++) {
    const v = (i * gain - tone.black) / range;
    lut[i] = (v <= 0 ? 0 : v >= 1 ? 1 : v) * 255;
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

// Values 0..255 as floats are looked up at quarter steps; linear light by its square root.
const Q = 4;
const QN = 255 * Q + 1;
const TO_LINEAR = new Float64Array(QN);
for (let i = 0; i < QN; i++) {
  const c = i / (QN - 1);
  TO_LINEAR[i] = c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
}
const SN = 4096;
const TO_SRGB = new Float32Array(SN + 1);
for (let i = 0; i <= SN; i++) {
  const v = (i / SN) ** 2;
  TO_SRGB[i] = (v <= 0.0031308 ? 12.92 * v : 1.055 * Math.pow(v, 1 / 2.4) - 0.055) * 255;
}
const toSrgb = (v: number) => (v <= 0 ? 0 : v >= 1 ? 255 : TO_SRGB[Math.round(Math.sqrt(v) * SN)]);

/** Luminance gain table: Y → Y'/Y such that L*' = 100·(L* ÷ 100)^gamma, indexed by √Y. */
function lightnessGainTable(gamma: number): Float64Array {
  const t = new Float64Array(SN + 1);
  for (let i = 1; i <= SN; i++) {
    const y = (i / SN) ** 2;
    const L = linearToLab(y, y, y).L;
    const L2 = 100 * Math.pow(Math.min(1, L / 100), gamma);
    t[i] = labToLinear({ L: L2, a: 0, b: 0 })[1] / y;
  }
  t[0] = t[1];
  return t;
}

/**
 * Scales linear light by the luminance gain that maps L* to 100·(L* ÷ 100)^gamma: a uniform
 * scale of XYZ keeps the CIELAB hue angle exactly (a* and b* scale together). Where the result
 * leaves the gamut it is pulled toward the grey of the same luminance, which keeps the hue too.
 */
function lightnessGamma(rgb: Float64Array, gains: Float64Array): void {
  const r = TO_LINEAR[Math.round(rgb[0] * Q)], g = TO_LINEAR[Math.round(rgb[1] * Q)], b = TO_LINEAR[Math.round(rgb[2] * Q)];
  const y = 0.2126729 * r + 0.7151522 * g + 0.072175 * b;
  if (y <= 0) return;
  const k = gains[Math.round(Math.sqrt(Math.min(1, y)) * SN)];
  let r2 = r * k, g2 = g * k, b2 = b * k;
  const hi = Math.max(r2, g2, b2);
  if (hi > 1) {
    const grey = Math.min(1, y * k);
    const t = grey >= 1 ? 0 : (1 - grey) / (hi - grey);
    r2 = grey + t * (r2 - grey);
    g2 = grey + t * (g2 - grey);
    b2 = grey + t * (b2 - grey);
  }
  rgb[0] = toSrgb(r2);
  rgb[1] = toSrgb(g2);
  rgb[2] = toSrgb(b2);
}

export function applyTone(img: RawRgb, tone: TonePlan): RawRgb {
  const luts = [toneCurve(tone, 0), toneCurve(tone, 1), toneCurve(tone, 2)];
  // S-curve: slope 1 + 2c at mid-grey, ends fixed, monotonic for |c| < 0.5.
  const scurve = new Float32Array(QN);
  for (let i = 0; i < QN; i++) {
    const v = i / (QN - 1);
    scurve[i] = (v - (tone.contrast * Math.sin(2 * Math.PI * v)) / Math.PI) * 255;
  }
  const gammaGains = Math.abs(tone.gamma - 1) >= 1e-3 ? lightnessGainTable(tone.gamma) : null;
  const src = img.data;
  const out = new Uint8Array(src.length);
  const sat = tone.monochrome ? 0 : tone.saturation;
  const px = new Float64Array(3);
  for (let j = 0; j < src.length; j += 3) {
    px[0] = luts[0][src[j]];
    px[1] = luts[1][src[j + 1]];
    px[2] = luts[2][src[j + 2]];
    if (gammaGains) lightnessGamma(px, gammaGains);
    const r = scurve[Math.round(px[0] * Q)], g = scurve[Math.round(px[1] * Q)], b = scurve[Math.round(px[2] * Q)];
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
