// Pure: has an enhanced output changed a face's skin tone? Compares the skin colour of a face
// in the input with the same face in the output (CIEDE2000, ΔITA°, hue angle, mean luma). What
// counts as drift depends on what the request allowed: an asked-for or diagnosed exposure change
// may move lightness but never hue; an asked-for colour change (warmer, black and white, more
// saturated) is not checked on colour.
import { deltaE2000, hueChroma, type RegionColour } from './colour.js';
import type { Intents } from './intent.js';

/** Limits for a well-exposed input whose tone nothing asked to change. */
export const SKIN_LIMITS = {
  deltaE: 3,
  ita: 5,
  /** Hue angle (degrees) when only lightness may change; only meaningful with some chroma. */
  hue: 6,
  minChroma: 6,
} as const;

export interface SkinAllowance {
  /** Lightness may change (exposure intent, or an exposure fault the enhancer diagnosed). */
  lightness: boolean;
  /** Colour may change (warmth, saturation or monochrome intents). */
  colour: boolean;
}

export interface SkinDrift {
  deltaE: number;
  deltaIta: number;
  deltaHue: number;
  deltaLuma: number;
  /** Within the allowance. */
  ok: boolean;
  /** Why not, for logs and benchmarks. */
  reason: string | null;
}

/**
 * What a request allows to change on skin, from its intents and the enhancer's own diagnosis
 * (an exposure fault, or a colour cast measured on the scene outside the faces).
 */
export function skinAllowance(intents: Intents, exposureFix: boolean, colourFix = false): SkinAllowance {
  return {
    lightness: exposureFix || intents.exposure !== 0 || intents.contrast !== 0,
    colour: colourFix || intents.warmth !== 0 || intents.saturation !== 0 || intents.monochrome,
  };
}

export function skinDrift(before: RegionColour, after: RegionColour, allow: SkinAllowance): SkinDrift {
  const deltaE = deltaE2000(before.lab, after.lab);
  const deltaIta = after.ita - before.ita;
  const hb = hueChroma(before.lab), ha = hueChroma(after.lab);
  let deltaHue = ha.hue - hb.hue;
  if (deltaHue > 180) deltaHue -= 360;
  else if (deltaHue < -180) deltaHue += 360;
  const deltaLuma = after.luma - before.luma;
  let reason: string | null = null;
  if (!allow.colour) {
    if (!allow.lightness) {
      if (deltaE > SKIN_LIMITS.deltaE) reason = `skin ΔE2000 ${deltaE.toFixed(1)} > ${SKIN_LIMITS.deltaE}`;
      else if (Math.abs(deltaIta) > SKIN_LIMITS.ita) reason = `skin ΔITA ${deltaIta.toFixed(1)}° beyond ±${SKIN_LIMITS.ita}°`;
    } else if (Math.min(hb.chroma, ha.chroma) >= SKIN_LIMITS.minChroma && Math.abs(deltaHue) > SKIN_LIMITS.hue) {
      reason = `skin hue moved ${deltaHue.toFixed(1)}° (beyond ±${SKIN_LIMITS.hue}°)`;
    }
  }
  return { deltaE, deltaIta, deltaHue, deltaLuma, ok: reason === null, reason };
}
