// Applies a CorrectionPlan in two stages around super-resolution:
//  restore (input resolution, pure): denoise/deblock (guided filter), deblur (Gaussian
//    deconvolution on luma), defect tone fixes (white balance, levels, gamma);
//  finish (output resolution): the look (intent tone), local contrast, unsharp mask (sharp), encoding.
import sharp from 'sharp';
import { boxKernel, deconvolveLandweber, gaussianKernel, guidedFilter } from './filters.js';
import type { CorrectionPlan } from './plan.js';
import { fromPlanes, lumaPlane, toPlanes, type RawRgb } from './raw.js';
import { applyTone, isIdentityTone, localContrast } from './tone.js';

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
    const d = plan.deblur;
    let kx: Float32Array | null = null, ky: Float32Array | null = null;
    if (d.psf === 'motion') {
      if (d.axis === 'x') kx = boxKernel(d.length);
      else ky = boxKernel(d.length);
    } else {
      kx = d.sigmaX > 0.3 ? gaussianKernel(d.sigmaX) : null;
      ky = d.sigmaY > 0.3 ? gaussianKernel(d.sigmaY) : null;
    }
    // Bound the work on large inputs (iterations × pixels).
    const iterations = Math.max(2, Math.min(d.iterations, Math.round((30 * 600_000) / (width * height))));
    const luma = lumaPlane(cur);
    const sharpL = deconvolveLandweber(luma, width, height, kx, ky, iterations);
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
  let toned = isIdentityTone(plan.look) ? img : applyTone(img, plan.look);
  if (plan.localContrast) {
    const radius = Math.min(toned.width, toned.height) * plan.localContrast.radiusFraction;
    toned = localContrast(toned, plan.localContrast.amount, radius);
  }
  let pipe = sharp(toned.data, { raw: { width: toned.width, height: toned.height, channels: 3 } });
  if (plan.sharpen) pipe = pipe.sharpen({ sigma: plan.sharpen.sigma, m1: plan.sharpen.m1, m2: plan.sharpen.m2 });
  return format === 'png'
    ? pipe.png({ compressionLevel: 3 }).toBuffer()
    : pipe.jpeg({ quality: 92, chromaSubsampling: '4:4:4' }).toBuffer();
}
