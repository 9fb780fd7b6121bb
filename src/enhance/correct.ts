// Applies a CorrectionPlan in two stages around super-resolution:
//  restore (input resolution, pure): denoise/deblock (guided filter), deblur (Gaussian
//    deconvolution on luma), defect tone fixes (white balance, levels, gamma);
//  finish (output resolution, sharp): the look (intent tone), CLAHE, unsharp mask, encoding.
import sharp from 'sharp';
import { deconvolveGaussian, guidedFilter } from './filters.js';
import type { CorrectionPlan } from './plan.js';
import { fromPlanes, lumaPlane, toPlanes, type RawRgb } from './raw.js';
import { applyTone, isIdentityTone } from './tone.js';

export function restorePixels(img: RawRgb, plan: CorrectionPlan): RawRgb {
  const { width, height } = img;
  let cur = img;
  if (plan.denoise) {
    const { radius, eps } = plan.denoise;
    const planes = toPlanes(cur).map((p) => guidedFilter(p, width, height, radius, eps));
    cur = fromPlanes(planes, width, height);
  }
  if (plan.deblur) {
    // Deconvolve luma only and add its change to every channel: a third of the work, no colour fringes.
    const luma = lumaPlane(cur);
    const sharpL = deconvolveGaussian(luma, width, height, plan.deblur.sigma, plan.deblur.iterations, plan.deblur.beta);
    const planes = toPlanes(cur);
    for (const p of planes) for (let i = 0; i < p.length; i++) p[i] += sharpL[i] - luma[i];
    cur = fromPlanes(planes, width, height);
  }
  if (!isIdentityTone(plan.tone)) cur = applyTone(cur, plan.tone);
  return cur;
}

export type OutputFormat = 'jpg' | 'png';

/** Look, local contrast and sharpening on the output-size pixels, then encoding. */
export async function finishOutput(img: RawRgb, plan: CorrectionPlan, format: OutputFormat): Promise<Buffer> {
  const toned = isIdentityTone(plan.look) ? img : applyTone(img, plan.look);
  let pipe = sharp(toned.data, { raw: { width: toned.width, height: toned.height, channels: 3 } });
  if (plan.localContrast) {
    const tile = Math.max(8, Math.round(Math.min(toned.width, toned.height) * plan.localContrast.tileFraction));
    pipe = pipe.clahe({ width: tile, height: tile, maxSlope: Math.round(plan.localContrast.maxSlope) });
  }
  if (plan.sharpen) pipe = pipe.sharpen({ sigma: plan.sharpen.sigma, m1: plan.sharpen.m1, m2: plan.sharpen.m2 });
  return format === 'png'
    ? pipe.png({ compressionLevel: 3 }).toBuffer()
    : pipe.jpeg({ quality: 92, chromaSubsampling: '4:4:4' }).toBuffer();
}
