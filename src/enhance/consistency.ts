// Consistency of a super-resolved image with the low-resolution image it came from:
// back-projection (downscaled, the result should give the input back) and the blend of two such
// consistent estimates (ESRGAN's and plain resampling's) that halves what only ESRGAN invented.
import sharp from 'sharp';
import type { RawRgb } from './raw.js';

/** Lanczos-3 resize; the same kernel the degradation model (a sharp downscale) uses. */
export async function resizeRaw(img: RawRgb, width: number, height: number): Promise<RawRgb> {
  if (img.width === width && img.height === height) return img;
  const { data, info } = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize(width, height, { fit: 'fill', kernel: 'lanczos3' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
}

/**
 * One iterative back-projection step: hi += up(lo − down(hi)). Makes the upscaled image agree
 * with the low-resolution image it came from, which ESRGAN does not guarantee.
 */
export async function backProject(hi: RawRgb, lo: RawRgb): Promise<RawRgb> {
  const down = await resizeRaw(hi, lo.width, lo.height);
  // Residual stored offset by 128 in 8 bits (residuals beyond ±127 are clipped).
  const resid = new Uint8Array(lo.data.length);
  for (let i = 0; i < resid.length; i++) {
    const v = lo.data[i] - down.data[i] + 128;
    resid[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  const { data } = await sharp(resid, { raw: { width: lo.width, height: lo.height, channels: 3 } })
    .resize(hi.width, hi.height, { fit: 'fill', kernel: 'cubic' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const out = new Uint8Array(hi.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = hi.data[i] + data[i] - 128;
    out[i] = v <= 0 ? 0 : v >= 255 ? 255 : v;
  }
  return { data: out, width: hi.width, height: hi.height };
}

/** Pure: w·a + (1 − w)·b per sample, rounded (same-size images). */
export function mixRaw(a: RawRgb, b: RawRgb, w: number): RawRgb {
  if (a.width !== b.width || a.height !== b.height) throw new Error(`mixRaw: ${a.width}x${a.height} vs ${b.width}x${b.height}`);
  const out = new Uint8Array(a.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(w * a.data[i] + (1 - w) * b.data[i]);
  return { data: out, width: a.width, height: a.height };
}
