// Pure: measurements + intents + strength → the concrete corrections to apply. Every correction
// has a dead zone, so a photo without a given defect is left alone on that axis (a well-exposed,
// neutral, clean photo gets almost nothing but super-resolution and a light sharpen).
import type { ImageStats } from './analyze.js';
import type { Intents } from './intent.js';

export interface TonePlan {
  /** White-balance gains per channel, applied first (luma-preserving). */
  gains: [number, number, number];
  /** Input levels 0..255 mapped to 0..255. */
  black: number;
  white: number;
  /**
   * Exponent on CIELAB lightness (L* ÷ 100) applied after levels by scaling linear light, which
   * keeps the hue angle (< 1 brightens): skin gets lighter without turning pinker or greyer.
   */
  gamma: number;
  /** S-curve amount around mid-grey (−0.5..0.5; > 0 more contrast). */
  contrast: number;
  /** Saturation multiplier (1 = unchanged). */
  saturation: number;
  monochrome: boolean;
}

export interface CorrectionPlan {
  /** Edge-preserving smoothing (self-guided filter) per channel; eps is a variance in 0..255². */
  denoise: { radius: number; eps: number } | null;
  /**
   * Deconvolution at input resolution. psf 'gaussian': defocus-like blur with sigma per axis;
   * psf 'motion': a straight box blur of `length` px along `axis`.
   */
  deblur:
    | { psf: 'gaussian'; sigmaX: number; sigmaY: number; iterations: number }
    | { psf: 'motion'; axis: 'x' | 'y'; length: number; iterations: number }
    | null;
  /** Fixes measured defects (cast, levels, gamma); applied before super-resolution. */
  tone: TonePlan;
  /** The requested look (intents, variant): applied after super-resolution. */
  look: TonePlan;
  /** Large-radius unsharp mask on luma (local contrast); radius as a fraction of the short side. */
  localContrast: { amount: number; radiusFraction: number } | null;
  /** Final unsharp mask on the output (sigma in output pixels; m1 flat, m2 edges). */
  sharpen: { sigma: number; m1: number; m2: number } | null;
  /** The restoration changes exposure (a diagnosed under/over-exposure): lightness may move. */
  exposureFix: boolean;
  /** The restoration removes a colour cast measured on the scene outside the faces: colour may move. */
  colourFix: boolean;
}

/** Blur radius (px) of a typical sharp photo at its native size: below this nothing is deblurred. */
export const SHARP_BLUR_SIGMA = 1.3;
/** The PSF is taken at 0.8× the estimate: under-correcting rings far less than over-correcting. */
const PSF_SCALE = 0.8;

const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v));

export const NEUTRAL_TONE: TonePlan = { gains: [1, 1, 1], black: 0, white: 255, gamma: 1, contrast: 0, saturation: 1, monochrome: false };

/** Robust highlight (99.5th percentile luma) at or above which a scene is not dim at all. */
export const DIM_HIGH_START = 160;
/** ... and below which it is fully dim (the ×0.35 class lands near 80–90). */
const DIM_HIGH_FULL = 120;
/** CIELAB L* of a face below which no skin tone is well exposed (darkest skin measures ≈ 20–35). */
export const UNDEREXPOSED_FACE_L = 18;
/** Where such a face is lifted to: the dark end of natural skin, never a "typical" skin tone. */
const FACE_LIFT_TARGET_L = 28;
/** Face box area (fraction of the frame) from which the frame is a portrait for the haze rule. */
const FACE_FILLS_FRACTION = 0.1;
/** A face at or below this L* is not blown out, whatever the background does. */
const BRIGHT_FACE_L = 80;

export interface ExposureFault {
  /** 0 = the scene reaches normal highlights; 1 = nothing in the frame gets bright (underexposed). */
  dim: number;
  /** CIELAB L* of the largest face, or null without a face. */
  faceL: number | null;
  /** No dark tones anywhere and the face (if any) is itself very light: overexposed / washed out. */
  washedOut: boolean;
  /** The largest face covers a large part of the frame (a portrait): the histogram is mostly skin. */
  faceFills: boolean;
}

/**
 * Exposure is judged from the scene, never from mean or median brightness alone: a low-key photo
 * or a darker-skinned face fills the histogram's low end in a correctly exposed photo. Evidence
 * of underexposure is that even the frame's highlights are dim, or a face darker than any skin
 * is when lit; of overexposure, that nothing is dark and the face itself is near white.
 */
export function exposureFault(stats: ImageStats): ExposureFault {
  const { exposure, faceTone } = stats;
  const dim = clamp((DIM_HIGH_START - exposure.high) / (DIM_HIGH_START - DIM_HIGH_FULL), 0, 1);
  const faceL = faceTone ? faceTone.lab.L : null;
  const washedOut = exposure.low > 60 && (faceL === null || faceL > BRIGHT_FACE_L);
  const area = stats.faces.reduce((m, f) => Math.max(m, f[2] * f[3]), 0);
  return { dim, faceL, washedOut, faceFills: area >= FACE_FILLS_FRACTION * stats.width * stats.height };
}

/** Luma (0..255) of a neutral grey with lightness L*, and back. */
function lumaOfLightness(L: number): number {
  const y = L > 8 ? ((L + 16) / 116) ** 3 : L / 903.3;
  return 255 * (y <= 0.0031308 ? 12.92 * y : 1.055 * Math.pow(y, 1 / 2.4) - 0.055);
}
function lightnessOfLuma(v: number): number {
  const c = clamp(v / 255, 0, 1);
  const y = c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
  return y > 216 / 24389 ? 116 * Math.cbrt(y) - 16 : 903.3 * y;
}

/** Corrections of measured defects only (no intents), scaled by strength k ≤ 1. */
function planRestoreTone(stats: ImageStats, s: number): TonePlan {
  const { exposure, cast } = stats;
  const k = Math.min(1, s);

  // White balance: portraits are naturally a little warm (skin), so only the part of the cast
  // beyond a dead zone around +0.12 is corrected, and only partly.
  const neutral = 0.12;
  const dead = 0.35;
  const excess = cast.warmth - neutral;
  const warmShift = Math.abs(excess) > dead ? -(excess - Math.sign(excess) * dead) * 0.7 * k : 0;
  const tintShift = Math.abs(cast.tint) > 0.08 ? -(cast.tint - Math.sign(cast.tint) * 0.08) * 0.7 * k : 0;
  const gains = wbGains(warmShift, tintShift);

  const fault = exposureFault(stats);

  // Levels: stretch the robust white point up to ~250 only when the scene itself is dim (nothing
  // in the frame gets bright); pull a lifted black point down (haze, flat scans).
  let white = 255;
  if (fault.dim > 0) {
    const full = Math.max((exposure.high * 255) / 250, 255 / 4); // high → 250, gain ≤ ×4
    white = 255 - (255 - full) * fault.dim * k;
  }
  let black = 0;
  // Only a flat (hazy) photo: a high-key portrait without deep shadows is left as it is, and so is
  // a frame a face fills (its darkest tones are skin and hair: pulling them down darkens the skin).
  if (exposure.low > 40 && exposure.high - exposure.low < 180 && !fault.faceFills) black = clamp((exposure.low - 10) * 0.8 * k, 0, white - 16);

  // Gamma (on CIELAB lightness, hue and chroma kept): only for a diagnosed fault.
  let gamma = 1;
  const m = clamp((exposure.median - black) / (white - black), 0.01, 0.99);
  if (fault.faceL !== null) {
    if (fault.faceL >= UNDEREXPOSED_FACE_L) {
      // The face is lit like skin is: leave its lightness alone (a low-key scene is not a fault).
    } else {
      // A face darker than any well-exposed skin: lift it toward the darkest natural skin tones
      // only (a backlit light-skinned face is under-corrected rather than any face over-lightened).
      const Lafter = lightnessOfLuma((lumaOfLightness(fault.faceL) - black) * 255 / (white - black));
      const target = Lafter + (FACE_LIFT_TARGET_L - Lafter) * k;
      if (Lafter > 0.5 && target > Lafter) gamma = clamp(Math.log(target / 100) / Math.log(Lafter / 100), 0.55, 1);
    }
  } else if (fault.dim > 0 && m < 0.25) {
    // A dim scene that stays dark after levels: move its median part of the way toward ~0.42.
    const target = m + (0.42 - m) * 0.6 * k * fault.dim;
    gamma = clamp(Math.log(target) / Math.log(m), 0.55, 1);
  } else if (fault.washedOut && m > 0.75) {
    const target = m + (0.42 - m) * 0.6 * k;
    gamma = clamp(Math.log(target) / Math.log(m), 1, 1.6);
  }
  return { ...NEUTRAL_TONE, gains, black, white, gamma };
}

/** Luma-preserving gains for a warm/cool shift (log R/B) and a tint shift (log G). */
function wbGains(warmShift: number, tintShift: number): [number, number, number] {
  const rg = Math.exp(warmShift / 2), bg = Math.exp(-warmShift / 2), gg = Math.exp(tintShift);
  const lumaGain = 0.299 * rg + 0.587 * gg + 0.114 * bg;
  return [rg / lumaGain, gg / lumaGain, bg / lumaGain];
}

/** The asked-for look: intents plus a little extra punch above strength 1. */
function planLookTone(intents: Intents, s: number): TonePlan {
  return {
    ...NEUTRAL_TONE,
    gains: wbGains(intents.warmth * 0.09, 0),
    gamma: clamp(Math.pow(0.72, intents.exposure), 0.35, 2.5),
    contrast: clamp(intents.contrast * 0.18 + (s > 1 ? (s - 1) * 0.12 : 0), -0.5, 0.5),
    saturation: clamp(1 + intents.saturation * 0.22 + (s > 1 ? (s - 1) * 0.12 : 0), 0, 2),
    monochrome: intents.monochrome,
  };
}

/**
 * @param strength 0 = leave everything but super-resolution alone, 1 = natural, 1.5 = strong.
 */
export function planCorrections(
  stats: ImageStats,
  intents: Intents,
  strength: number,
  restoreStrength = Math.min(1, strength),
): CorrectionPlan {
  const s = clamp(strength, 0, 2);
  const rs = clamp(restoreStrength, 0, 2);

  // Denoise: sensor noise plus JPEG blocking, both smoothed by the guided filter below an
  // edge-variance threshold. Clean photos measure σ ≈ 1–2 from flat blocks.
  const noiseExcess = Math.max(0, stats.noise - 1.8);
  const blockExcess = Math.max(0, stats.blockiness - 0.08);
  const denoiseBoost = 1 + 0.5 * Math.max(0, intents.denoise);
  let denoise: CorrectionPlan['denoise'] = null;
  if ((noiseExcess > 0 || blockExcess > 0) && rs > 0) {
    const sigmaN = noiseExcess * 3.5 + Math.min(12, blockExcess * 9);
    const eps = (sigmaN * Math.min(1.3, rs) * denoiseBoost) ** 2;
    if (eps >= 4) denoise = { radius: stats.noise > 5 ? 3 : 2, eps };
  } else if (intents.denoise > 0) {
    denoise = { radius: 2, eps: (4 * intents.denoise) ** 2 };
  }

  // Deblur: the blur beyond that of a sharp photo, per axis. Clearly directional blur is taken
  // as straight motion (box PSF, length = σ·√12); otherwise a Gaussian PSF. Fewer iterations
  // (stronger regularisation) for noisy photos and gentler variants.
  let deblur: CorrectionPlan['deblur'] = null;
  const extraX = Math.sqrt(Math.max(0, stats.blurX ** 2 - SHARP_BLUR_SIGMA ** 2));
  const extraY = Math.sqrt(Math.max(0, stats.blurY ** 2 - SHARP_BLUR_SIGMA ** 2));
  const sharpenIntent = Math.max(0, intents.sharpen);
  if ((Math.max(extraX, extraY) > 0.6 || sharpenIntent > 0) && rs > 0) {
    const noisy = stats.noise > 6 ? 0.4 : 1;
    const iterations = Math.round(clamp((4 + 4 * Math.min(1, rs) + sharpenIntent * 4) * noisy * Math.min(1, rs * 1.5), 2, 20));
    const big = Math.max(extraX, extraY), small = Math.min(extraX, extraY);
    if (big > 1.5 && big > 2 * small + 0.3) {
      deblur = { psf: 'motion', axis: extraX >= extraY ? 'x' : 'y', length: Math.min(31, PSF_SCALE * big * Math.sqrt(12)), iterations };
    } else {
      const floor = sharpenIntent > 0 ? 0.8 : 0;
      const sx = Math.max(PSF_SCALE * extraX, floor), sy = Math.max(PSF_SCALE * extraY, floor);
      deblur = { psf: 'gaussian', sigmaX: clamp(sx, 0, 4), sigmaY: clamp(sy, 0, 4), iterations };
    }
  }

  const tone = planRestoreTone(stats, rs);
  const look = planLookTone(intents, s);

  // Local contrast: for flat (low dynamic range) photos, for "more contrast", and in the strong look.
  const range = stats.exposure.high - stats.exposure.low;
  let localContrast: CorrectionPlan['localContrast'] = null;
  const lcAmount = (range < 110 ? 1 : 0) + Math.max(0, intents.contrast) * 0.5 + (s > 1.2 ? 0.5 : 0);
  if (lcAmount > 0 && s > 0) localContrast = { amount: clamp(lcAmount * 0.25, 0.1, 0.6), radiusFraction: 1 / 40 };

  // Final sharpen, lighter on noisy inputs; "softer" turns it off.
  let sharpen: CorrectionPlan['sharpen'] = null;
  const sharpAmount = s * (stats.noise > 6 ? 0.4 : 0.8) + intents.sharpen * 0.5;
  if (sharpAmount > 0.05) sharpen = { sigma: 1.2, m1: 0.2 * sharpAmount, m2: 1.2 * sharpAmount };

  const exposureFix = tone.white < 254 || tone.black > 1 || Math.abs(tone.gamma - 1) > 0.02;
  const colourFix = tone.gains.some((g) => Math.abs(g - 1) > 0.01);
  return { denoise, deblur, tone, look, localContrast, sharpen, exposureFix, colourFix };
}

// ---- Variants and the identity-guard ladder ----

export interface VariantSpec {
  label: string;
  /** Look strength (contrast, saturation, local contrast, sharpening). */
  strength: number;
  /** Restoration strength (denoise, deblur, exposure and colour fixes); shared restorations share one ESRGAN run. */
  restore: number;
  /** No tone change at all from restoration or look extras (only asked-for intents): the skin-safe rungs. */
  keepTone?: boolean;
}

/** Variants returned for num_output_images = 1..4, in order. */
export const VARIANTS: VariantSpec[] = [
  { label: 'natural', strength: 1, restore: 1 },
  { label: 'strong', strength: 1.5, restore: 1 },
  { label: 'vivid', strength: 1.25, restore: 1 },
  { label: 'gentle', strength: 0.5, restore: 0.5 },
];

const MINIMAL: VariantSpec = { label: 'minimal', strength: 0.15, restore: 0.15, keepTone: true };
/** Full restoration (denoise, deblur, sharpen) with no tone change: what a skin-tone drift falls back to. */
const FAITHFUL: VariantSpec = { label: 'faithful', strength: 1, restore: 1, keepTone: true };

/** Each rung's gentler replacement; 'minimal' is the last resort (super-resolution only, no tone change). */
export const GENTLER: Record<string, VariantSpec | null> = {
  strong: { label: 'natural', strength: 1, restore: 1 },
  vivid: { label: 'natural', strength: 1, restore: 1 },
  natural: { label: 'gentle', strength: 0.5, restore: 0.5 },
  gentle: MINIMAL,
  faithful: MINIMAL,
  minimal: null,
};

export function variantSpecs(count: number): VariantSpec[] {
  const n = clamp(Math.floor(count), 1, VARIANTS.length);
  return VARIANTS.slice(0, n);
}

/** Why the guard wants a gentler rendering: the face's identity or its skin tone drifted. */
export type DriftKind = 'identity' | 'skin';

/**
 * The next rung for a label, or null at the bottom of the ladder (or an unknown label). Skin-tone
 * drift skips straight to the tone-free rung (restoration without any tone change).
 */
export function gentlerSpec(label: string, drift: DriftKind = 'identity'): VariantSpec | null {
  if (!(label in GENTLER)) return null;
  if (drift === 'skin' && label !== 'faithful' && label !== 'minimal') return FAITHFUL;
  return GENTLER[label] ?? null;
}

/** A plan with restoration tone and look extras removed (asked-for intents stay). */
export function withoutToneChange(plan: CorrectionPlan, intents: Intents): CorrectionPlan {
  return { ...plan, tone: NEUTRAL_TONE, look: planLookTone(intents, 1), exposureFix: false, colourFix: false };
}

/** Saturation extra for the 'vivid' look (applied on top of the plan). */
export function variantAdjust(label: string, plan: CorrectionPlan): CorrectionPlan {
  if (label !== 'vivid') return plan;
  return {
    ...plan,
    look: { ...plan.look, saturation: plan.look.saturation * 1.18, contrast: clamp(plan.look.contrast + 0.08, -0.5, 0.5) },
    localContrast: plan.localContrast ?? { amount: 0.2, radiusFraction: 1 / 40 },
  };
}
