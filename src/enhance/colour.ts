// Pure colour science for skin tone: sRGB ↔ CIELAB (D65), CIEDE2000, the individual typology
// angle (ITA°, the dermatology measure of constitutive skin tone) and the colour of a face region.
// The enhancer's planner and the identity guard both use these, so "did the skin change" is
// measured the same way everywhere.
import type { RawRgb } from './raw.js';

export interface Lab {
  L: number;
  a: number;
  b: number;
}

// sRGB 8-bit → linear light, once.
const LINEAR = new Float64Array(256);
for (let i = 0; i < 256; i++) {
  const c = i / 255;
  LINEAR[i] = c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
}

const Xn = 0.95047, Yn = 1, Zn = 1.08883;
const EPS = 216 / 24389, KAPPA = 24389 / 27;
const f = (t: number) => (t > EPS ? Math.cbrt(t) : (KAPPA * t + 16) / 116);
const finv = (t: number) => (t * t * t > EPS ? t * t * t : (116 * t - 16) / KAPPA);

/** Linear-light RGB (0..1) → CIELAB. */
export function linearToLab(r: number, g: number, b: number): Lab {
  const x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / Xn;
  const y = (0.2126729 * r + 0.7151522 * g + 0.072175 * b) / Yn;
  const z = (0.0193339 * r + 0.119192 * g + 0.9503041 * b) / Zn;
  const fx = f(x), fy = f(y), fz = f(z);
  return { L: 116 * fy - 16, a: 500 * (fx - fy), b: 200 * (fy - fz) };
}

/** 8-bit sRGB → CIELAB. */
export function srgbToLab(r: number, g: number, b: number): Lab {
  return linearToLab(LINEAR[r], LINEAR[g], LINEAR[b]);
}

/** CIELAB → linear-light RGB (may fall outside 0..1: out of gamut). */
export function labToLinear(lab: Lab): [number, number, number] {
  const fy = (lab.L + 16) / 116, fx = fy + lab.a / 500, fz = fy - lab.b / 200;
  const x = finv(fx) * Xn, y = (lab.L > KAPPA * EPS ? fy * fy * fy : lab.L / KAPPA) * Yn, z = finv(fz) * Zn;
  return [
    3.2404542 * x - 1.5371385 * y - 0.4985314 * z,
    -0.969266 * x + 1.8760108 * y + 0.041556 * z,
    0.0556434 * x - 0.2040259 * y + 1.0572252 * z,
  ];
}

/** Linear light 0..1 → 8-bit sRGB value (clamped). */
export function linearToSrgb8(v: number): number {
  const c = v <= 0 ? 0 : v >= 1 ? 1 : v <= 0.0031308 ? 12.92 * v : 1.055 * Math.pow(v, 1 / 2.4) - 0.055;
  return Math.round(c * 255);
}

/** CIEDE2000 colour difference (Sharma, Wu & Dalal 2005), kL = kC = kH = 1. */
export function deltaE2000(p: Lab, q: Lab): number {
  const deg = Math.PI / 180;
  const C1 = Math.hypot(p.a, p.b), C2 = Math.hypot(q.a, q.b);
  const Cm = (C1 + C2) / 2;
  const G = 0.5 * (1 - Math.sqrt(Cm ** 7 / (Cm ** 7 + 25 ** 7)));
  const a1 = (1 + G) * p.a, a2 = (1 + G) * q.a;
  const c1 = Math.hypot(a1, p.b), c2 = Math.hypot(a2, q.b);
  const hue = (a: number, b: number) => (a === 0 && b === 0 ? 0 : ((Math.atan2(b, a) / deg) + 360) % 360);
  const h1 = hue(a1, p.b), h2 = hue(a2, q.b);
  const dL = q.L - p.L, dC = c2 - c1;
  let dh = 0;
  if (c1 * c2 !== 0) {
    dh = h2 - h1;
    if (dh > 180) dh -= 360;
    else if (dh < -180) dh += 360;
  }
  const dH = 2 * Math.sqrt(c1 * c2) * Math.sin((dh / 2) * deg);
  const Lm = (p.L + q.L) / 2, cm = (c1 + c2) / 2;
  let hm = h1 + h2;
  if (c1 * c2 !== 0) {
    if (Math.abs(h1 - h2) > 180) hm = h1 + h2 < 360 ? (h1 + h2 + 360) / 2 : (h1 + h2 - 360) / 2;
    else hm = (h1 + h2) / 2;
  }
  const T = 1 - 0.17 * Math.cos((hm - 30) * deg) + 0.24 * Math.cos(2 * hm * deg) + 0.32 * Math.cos((3 * hm + 6) * deg) - 0.2 * Math.cos((4 * hm - 63) * deg);
  const dTheta = 30 * Math.exp(-(((hm - 275) / 25) ** 2));
  const Rc = 2 * Math.sqrt(cm ** 7 / (cm ** 7 + 25 ** 7));
  const Sl = 1 + (0.015 * (Lm - 50) ** 2) / Math.sqrt(20 + (Lm - 50) ** 2);
  const Sc = 1 + 0.045 * cm, Sh = 1 + 0.015 * cm * T;
  const Rt = -Math.sin(2 * dTheta * deg) * Rc;
  return Math.sqrt((dL / Sl) ** 2 + (dC / Sc) ** 2 + (dH / Sh) ** 2 + Rt * (dC / Sc) * (dH / Sh));
}

/** Individual typology angle in degrees: atan((L* − 50) / b*); > 55 very light … < −30 dark skin. */
export function ita(lab: Lab): number {
  return (Math.atan2(lab.L - 50, lab.b) * 180) / Math.PI;
}

/** Hue angle h° (0..360) and chroma C* of a Lab colour. */
export function hueChroma(lab: Lab): { hue: number; chroma: number } {
  return { hue: ((Math.atan2(lab.b, lab.a) * 180) / Math.PI + 360) % 360, chroma: Math.hypot(lab.a, lab.b) };
}

export interface RegionColour {
  /** Mean CIELAB of the skin pixels of the region. */
  lab: Lab;
  ita: number;
  /** Mean Rec. 601 luma (0..255) of the same pixels. */
  luma: number;
  /** Pixels that counted. */
  pixels: number;
}

type Box = [number, number, number, number];

/**
 * Colour of the skin in a face box: the central part of the box (cheeks, nose, forehead; hair and
 * background stay out), with the darkest and brightest 10% of its pixels dropped (eyes, brows,
 * nostrils, specular highlights). Returns null when the box holds too few pixels to say.
 */
export function faceColour(img: RawRgb, box: Box): RegionColour | null {
  const [bx, by, bw, bh] = box;
  const x0 = Math.max(0, Math.round(bx + bw * 0.25)), x1 = Math.min(img.width, Math.round(bx + bw * 0.75));
  const y0 = Math.max(0, Math.round(by + bh * 0.2)), y1 = Math.min(img.height, Math.round(by + bh * 0.8));
  if (x1 - x0 < 3 || y1 - y0 < 3) return null;
  const lumas: number[] = [];
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const j = (y * img.width + x) * 3;
      lumas.push(0.299 * img.data[j] + 0.587 * img.data[j + 1] + 0.114 * img.data[j + 2]);
    }
  }
  const sorted = [...lumas].sort((a, b) => a - b);
  const lo = sorted[Math.floor(sorted.length * 0.1)], hi = sorted[Math.floor(sorted.length * 0.9)];
  let r = 0, g = 0, b = 0, lsum = 0, n = 0, k = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++, k++) {
      const l = lumas[k];
      if (l < lo || l > hi) continue;
      const j = (y * img.width + x) * 3;
      // Averaged in linear light: the colour the eye sees of the area.
      r += LINEAR[img.data[j]];
      g += LINEAR[img.data[j + 1]];
      b += LINEAR[img.data[j + 2]];
      lsum += l;
      n++;
    }
  }
  if (n < 9) return null;
  const lab = linearToLab(r / n, g / n, b / n);
  return { lab, ita: ita(lab), luma: lsum / n, pixels: n };
}
